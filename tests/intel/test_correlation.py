import json

from django.core.management import call_command

from tests.intel.store_data import bundle, indicator
from vaka.intel import selectors, services
from vaka.intel.models import HitNotification, StixObject, WarninglistEntry
from vaka.intel.warninglists import forget_own_entries
from vaka.policy.services import Markings


def ingest(user, *values, **markings):
    def path(value: str) -> str:
        return "ipv4-addr:value" if value[0].isdigit() else "domain-name:value"

    return services.ingest_bytes(bundle(*[indicator(v, path(v), seed=f"{user}{v}")
                                          for v in values]),
                                 organisation=user.organisation, user=user,
                                 markings=Markings(**markings), source="api")


def test_match_with_an_unseen_record_is_a_hit_and_its_owner_is_told(region):
    ingest(region.analyst_a, "evil-portal-7.net")  # TLP:AMBER, Unit A only
    ingest(region.analyst_b, "evil-portal-7.net")
    theirs = StixObject.objects.get(owner=region.unit_b)
    [correlation] = selectors.correlations_of(theirs, region.analyst_b)
    assert correlation.matches == [] and correlation.held_elsewhere
    note = HitNotification.objects.get()
    assert note.object.owner == region.unit_a
    assert (note.asked_by, note.asked_by_organisation, note.channel) == (
        region.analyst_b, region.unit_b, "ingest")
    assert list(selectors.notifications_for(region.colleague_a)) == [note]
    assert list(selectors.notifications_for(region.analyst_b)) == []


def test_match_with_a_visible_record_is_a_correlation_not_a_hit(region):
    ingest(region.analyst_a, "evil-portal-7.net", tlp="green", distribution="members")
    ingest(region.analyst_b, "evil-portal-7.net")
    theirs = StixObject.objects.get(owner=region.unit_b)
    [correlation] = selectors.correlations_of(theirs, region.analyst_b)
    assert [m.owner for m in correlation.matches] == [region.unit_a]
    assert not correlation.held_elsewhere
    assert not HitNotification.objects.exists()


def test_warninglisted_values_never_correlate_or_notify(region):
    ingest(region.analyst_a, "8.8.8.8")
    ingest(region.analyst_b, "8.8.8.8")
    theirs = StixObject.objects.get(owner=region.unit_b)
    [correlation] = selectors.correlations_of(theirs, region.analyst_b)
    assert correlation.warninglists and not correlation.held_elsewhere
    assert not HitNotification.objects.exists()


def test_admins_own_exclusions_work_like_warninglists(region):
    WarninglistEntry.objects.create(kind="domain", value="ourcompany.org",
                                    note="Our mail servers")
    forget_own_entries()
    try:
        ingest(region.analyst_a, "mail.ourcompany.org")
        ingest(region.analyst_b, "mail.ourcompany.org")
        assert not HitNotification.objects.exists()
    finally:
        forget_own_entries()


def test_hit_on_a_red_record_reaches_its_named_recipients_only(region):
    services.ingest_bytes(bundle(indicator("red-drop-7.com", seed="a")),
                          organisation=region.unit_a, user=region.analyst_a,
                          markings=Markings(tlp="red", recipients=[region.viewer_a]),
                          source="api")
    ingest(region.analyst_b, "red-drop-7.com")
    assert HitNotification.objects.count() == 1
    assert selectors.notifications_for(region.viewer_a).count() == 1
    assert selectors.notifications_for(region.colleague_a).count() == 0


def test_lookup_answers_matches_and_hits_and_tells_the_owner(region, api_for):
    ingest(region.analyst_a, "evil-portal-7.net")
    ingest(region.analyst_a, "shared-infra-7.org", tlp="green", distribution="members")
    response = api_for(region.analyst_b).post("/api/lookup/", {"values": [
        "evil-portal-7[.]net", "shared-infra-7.org", "nothing-here-7.net", "not a value",
        "8.8.8.8"]}, format="json")
    assert response.status_code == 200
    evil, shared, nothing, junk, dns = response.json()["results"]
    assert evil["type"] == "domain" and evil["canonical"] == "evil-portal-7.net"
    assert evil["matches"] == []
    assert evil["hits"][0]["contact"]["organisation"] == ""  # no desk in this region
    assert [m["owner_name"] for m in shared["matches"]] == ["Unit A"]
    assert shared["hits"] == [] and nothing["matches"] == nothing["hits"] == []
    assert junk["type"] is None and junk["error"]
    assert dns["warninglists"]
    note = HitNotification.objects.get()
    assert (note.channel, note.value, note.asked_by) == ("lookup", "evil-portal-7.net",
                                                        region.analyst_b)


def test_lookup_refuses_more_than_ten_thousand_values(region, api_for):
    response = api_for(region.analyst_a).post("/api/lookup/",
                                              {"values": ["1.1.1.1"] * 10_001}, format="json")
    assert response.status_code == 400


def test_objects_api_filters(region, api_for):
    services.ingest_bytes(bundle(indicator("a-phish-7.com", labels=["phishing"]),
                                 indicator("b-phish-7.com")),
                          organisation=region.unit_a, user=region.analyst_a,
                          markings=Markings(tlp="green", distribution="members"), source="api")
    ingest(region.analyst_b, "a-phish-7.com")
    client = api_for(region.analyst_b)
    assert client.get("/api/objects/", {"label": "phishing"}).json()["count"] == 1
    assert client.get("/api/objects/", {"owner": region.unit_a.pk}).json()["count"] == 2
    assert client.get("/api/objects/", {"tlp": "amber"}).json()["count"] == 1
    correlated = client.get("/api/objects/", {"has_correlations": "true"}).json()
    assert {o["name"] for o in correlated["results"]} == {"a-phish-7.com"}
    assert correlated["count"] == 2
    found = client.get("/api/objects/", {"search": "b-phish"}).json()
    assert [o["name"] for o in found["results"]] == ["b-phish-7.com"]


def test_submission_api_ingests_an_upload(region, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("iocs.csv", b"value\nevil-portal-7.net\n")
    response = api_for(region.analyst_a).post(
        "/api/submissions/", {"file": upload, "tlp": "green", "distribution": "members"},
        format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["new"] == 1
    assert StixObject.objects.get().tlp == "green"
    assert api_for(region.analyst_b).get(
        f"/api/submissions/{response.json()['id']}/").status_code == 404


def test_cli_ingest_prints_a_summary_line_and_fails_on_rejection(region, tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_bytes(bundle(indicator("evil-portal-7.net")))
    call_command("ingest", str(good), "--org", "Unit A", "--tlp", "green",
                 "--distribution", "members")
    line = json.loads(capsys.readouterr().out.strip())
    assert (line["file"], line["new"], line["rejected"]) == (str(good), 1, 0)
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "bundle", "objects": [{"type": "indicator"}]}')
    try:
        call_command("ingest", str(bad), "--org", "Unit A")
    except SystemExit as exit_:
        assert exit_.code == 1
    else:
        raise AssertionError("expected a non-zero exit")
    line = json.loads(capsys.readouterr().out.strip())
    assert line["rejected"] == 1 and line["errors"][0]["index"] == 0


def test_cli_extract_prints_json_lines(tmp_path, capsys):
    advisory = tmp_path / "advisory.md"
    advisory.write_text("Block hxxp://bad[.]example[.]com/x and 203.0.113.9 now.")
    call_command("extract", str(advisory))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"type": "url", "value": "http://bad.example.com/x"} in lines
    assert {"type": "ipv4", "value": "203.0.113.9"} in lines


def test_platform_admins_manage_the_local_warninglist(region, client):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory, confirmed_totp, totp_code
    from vaka.policy.models import AuditEntry

    admin = UserFactory(role="platform_admin", organisation=region.unit_a)
    with_exclusion = services.add_exclusion(user=admin, kind="ipv4", value="203.0.113.9/24",
                                            note="our office")
    assert with_exclusion.value == "203.0.113.0/24"
    try:
        services.add_exclusion(user=region.analyst_a, kind="domain", value="x.org")
    except PermissionDenied:
        pass
    else:
        raise AssertionError("analysts may not add exclusions")
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    page = client.post("/intel/warninglists/", {"kind": "domain", "value": "not a domain"})
    assert "value" in page.context["form"].errors
    client.post("/intel/warninglists/", {"kind": "domain", "value": "Partner-CDN.org"})
    assert WarninglistEntry.objects.filter(value="partner-cdn.org").exists()
    forget_own_entries()
    try:
        ingest(region.analyst_a, "203.0.113.77")
        ingest(region.analyst_b, "203.0.113.77")
        assert not HitNotification.objects.exists()
    finally:
        forget_own_entries()
    assert AuditEntry.objects.filter(target_type="intel.warninglistentry",
                                     action="create").count() == 2
    client.force_login(region.analyst_a)
    assert client.get("/intel/warninglists/").status_code == 403


def test_search_finds_words_prefixes_and_defanged_values_within_what_is_visible(
        region, api_for):
    services.ingest_bytes(bundle(
        indicator("invoice-fraud-9.net", description="Mule accounts behind the Suva invoice "
                  "fraud", seed="s1"),
        indicator("ransom-note-9.org", description="Ransomware negotiation portal", seed="s2")),
        organisation=region.unit_a, user=region.analyst_a,
        markings=Markings(tlp="green", distribution="members"), source="api")
    ingest(region.analyst_a, "secret-suva-9.net")  # AMBER, Unit A only
    client = api_for(region.analyst_b)

    def names(text: str) -> set[str]:
        return {o["name"] for o in client.get("/api/objects/", {"search": text}).json()[
            "results"]}

    assert names("suva invoice") == {"invoice-fraud-9.net"}
    assert names("negotia") == {"ransom-note-9.org"}  # a prefix
    assert names("invoice-fraud-9[.]net") == {"invoice-fraud-9.net"}  # a defanged value
    assert names("secret") == set()  # outside the audience: not even found
    assert names("nothing-like-this") == set()
    page = api_for(region.analyst_a).get("/api/objects/", {"search": "secret"}).json()
    assert [o["name"] for o in page["results"]] == ["secret-suva-9.net"]


def test_attack_techniques_and_threat_actors_are_pickable_tags(region, client, api_for):
    from vaka.intel.galaxies import cluster_values, tag_label

    assert "Phishing - T1566" in cluster_values("mitre-attack-pattern")
    assert "APT1" in cluster_values("threat-actor")
    client.force_login(region.analyst_a)
    options = client.get("/intel/galaxies/mitre-attack-pattern/").content.decode()
    assert '<option value="Phishing - T1566">' in options
    assert client.get("/intel/galaxies/no-such-galaxy/").status_code == 404
    bad = client.post("/intel/submit/", {"content": "value\nphish-kit-9.net\n", "format": "csv",
                                         "tlp": "amber", "distribution": "organisation",
                                         "pap": "amber", "technique": "Made-up - T0000"})
    assert "not a known ATT&CK technique" in bad.context["form"].errors["technique"][0]
    response = client.post("/intel/submit/", {
        "content": "value\nphish-kit-9.net\n", "format": "csv", "tlp": "amber",
        "distribution": "organisation", "pap": "amber", "technique": "Phishing - T1566",
        "threat_actor": "APT1", "other_labels": "bec, pacific"})
    assert response.status_code == 302
    obj = StixObject.objects.get()
    tag = 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"'
    assert obj.labels == [tag, 'misp-galaxy:threat-actor="APT1"', "bec", "pacific"]
    assert tag_label(tag) == "ATT&CK technique: Phishing - T1566"
    found = api_for(region.analyst_a).get("/api/objects/", {"label": tag}).json()
    assert [o["name"] for o in found["results"]] == ["phish-kit-9.net"]
