"""vaka.names.fold: the one way a name is folded before it is compared."""

from vaka.names import fold


def test_fold_keeps_accents_by_default_and_folds_case_width_and_spaces():
    assert fold("  Mere \u00a0 VULA\t") == "mere vula"
    assert fold("Ｆｉｊｉ  Police") == "fiji police"  # full-width letters: compatibility form
    assert fold("Straße") == "strasse"
    assert fold("Mērē") == "mērē"


def test_without_accents_names_typed_by_many_hands_meet():
    assert fold("Mērē  Vūla", accents=False) == fold("mere vula", accents=False) == "mere vula"
    assert fold("Sión", accents=False) == "sion"
