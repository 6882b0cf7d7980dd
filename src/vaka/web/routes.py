"""Who may reach each route, declared in one place.

Every URL name in the URL conf (``namespace:name``) is declared here with its exposure
and the reason for it. ``tests/web/test_routes.py`` walks the whole URL conf, calls every
route as an anonymous visitor, an outsider, a colleague of a TLP:RED record's owner who is
not named on it, and an administrator of another organisation, and fails on any route
that is not declared here — so a new route is refused until someone says who may reach it.

A route that reads shareable records (DESIGN.md §2) is ``COVERED``: it names the channel
of ``tests/policy/test_visibility_property.py`` that checks its read path against the
reference audience, and the test checks that channel exists, runs, and requests the route
(or, where the route shares the read path of another, the ``probe`` the channel requests).
A route on one record that no channel requests yet is ``RECORD``: the walk calls it with
the TLP:RED record and requires 404 for everyone outside its audience.
"""

from dataclasses import dataclass
from enum import StrEnum


class Exposure(StrEnum):
    PUBLIC = "public"
    """Answers without sign-in; shows no shareable record."""
    ADMIN_ONLY = "admin_only"
    """Platform or organisation administrators only; others get 403, 404 or sign-in."""
    AUTHENTICATED_SELF = "self"
    """The caller's own account, tokens, submissions or export links; no one else's."""
    SIGNED_IN = "signed_in"
    """Any signed-in user; the directory, forms and reference data, no shareable record."""
    COVERED = "covered"
    """Shareable records, checked on every random world by the property test's channel."""
    RECORD = "record"
    """One shareable record through the policy's single-record selector (``object_for``);
    the route walk checks it on a TLP:RED record only — a channel would check all markings."""


@dataclass(frozen=True)
class Route:
    exposure: Exposure
    reason: str
    channel: str = ""
    """COVERED: the name of the property test's channel that checks this read path."""
    probe: str = ""
    """COVERED: what the channel requests, when it is not this route's own path."""


def _public(reason: str) -> Route:
    return Route(Exposure.PUBLIC, reason)


def _admin(reason: str) -> Route:
    return Route(Exposure.ADMIN_ONLY, reason)


def _self(reason: str) -> Route:
    return Route(Exposure.AUTHENTICATED_SELF, reason)


def _signed_in(reason: str) -> Route:
    return Route(Exposure.SIGNED_IN, reason)


def _record(reason: str) -> Route:
    return Route(Exposure.RECORD, reason)


def _covered(channel: str, reason: str, probe: str = "") -> Route:
    return Route(Exposure.COVERED, reason, channel, probe)


def _training(reason: str) -> Route:
    """A training page: the property test's training pages channel asks it on every world."""
    return _covered("check_training_pages", reason)


_DIRECTORY = "the directory (countries, organisations, users, communities) is not a " \
             "shareable record; every member of the instance reads it"
_PLATFORM = "changes the platform; needs the manage-platform capability"

ROUTES: dict[str, Route] = {
    # --- the shell and signing in ------------------------------------------------------
    "dashboard": _covered("check_pages", "counts and latest records through visible_to",
                          probe='client.get("/")'),
    "health_live": _public("the process answers; names no record, version or host"),
    "health_ready": _public("each readiness check's name and ok or failing, nothing more"),
    "set_language": _public("switches the interface language; a signed-in user keeps it"),
    "markdown_preview": _signed_in("renders only the Markdown the caller sends (POST); "
                                   "reads and stores nothing"),
    "login": _public("the sign-in page"),
    "logout": _public("signs the session out (POST)"),
    "two_factor_verify": _self("the caller's own second factor"),
    "two_factor_enrol": _self("the caller's own second factor"),
    "recovery_codes": _self("the caller's own new recovery codes, shown once"),
    "recovery_codes_download": _self("the caller's own new recovery codes, as text"),
    "recovery_codes_regenerate": _self("replaces the caller's own recovery codes (POST)"),
    "password_change": _self("the caller's own password"),
    "profile": _self("the caller's own profile"),
    "tokens": _self("the caller's own API tokens"),
    "web:saved_searches": _self("the caller's own saved searches (filters, never results); "
                                "POST saves one"),
    "web:saved_search": _self("runs one of the caller's own saved searches: a redirect to "
                              "its list, which applies its own visibility"),
    "web:saved_search_rename": _self("renames one of the caller's own saved searches"),
    "web:saved_search_delete": _self("deletes one of the caller's own saved searches"),
    "token_revoke": _self("revokes one of the caller's own API tokens"),
    # --- directory ---------------------------------------------------------------------
    "countries": _signed_in(_DIRECTORY),
    "organisations": _signed_in(_DIRECTORY),
    "organisation": _signed_in(_DIRECTORY),
    "organisation_create": _admin(_PLATFORM),
    "organisation_edit": _admin(_PLATFORM),
    "users": _signed_in(_DIRECTORY),
    "user": _signed_in(_DIRECTORY),
    "user_create": _admin("organisation administrators add users to their organisation"),
    "user_edit": _admin("organisation administrators edit users of their organisation"),
    "user_two_factor_reset": _admin("organisation administrators turn off the second factor "
                                    "of users of their organisation (POST)"),
    "communities": _signed_in(_DIRECTORY),
    "community": _signed_in(_DIRECTORY),
    "community_create": _admin(_PLATFORM),
    "community_edit": _admin(_PLATFORM),
    "audit_log": _admin("the audit trail is for platform administrators"),
    "programmes": _admin("the programmes and their coordinators; " + _PLATFORM),
    "programme_edit": _admin("sets a programme's coordinators, who see its sessions' "
                             "training records; " + _PLATFORM),
    # --- training: certificates and the training capabilities wait for -----------------
    **{f"training:{name}": _training(
        "one certificate through visible_to(Certificate): the person and the course both "
        "seen, 404 for anyone else; revoking needs the course's trainers")
       for name in ("certificate", "certificate_pdf", "certificate_revoke")},
    "verify": _public("a certificate's name, course and completion date (or when it was "
                      "revoked), for its code only; 404 for any other code; rate-limited "
                      "per address"),
    "training:requirements": _admin("an organisation admin's own organisation's training "
                                    "requirements; the courses offered from visible_to"),
    "training:requirement_lift": _admin("lifts one of the admin's own organisation's "
                                        "requirements (POST); 404 for another's"),
    # --- training: participants, enrolments, attendance and test scores ----------------
    "training:participants": _training("the people the user sees through "
                                        "visible_to(Participant), merged records left out"),
    "training:participant_create": _signed_in("an empty form; writes go through "
                                              "participants.create_participant"),
    "training:participant_duplicates": _training("pairs among the people the user sees "
                                                  "(participants.find_duplicates)"),
    "training:participant_merge": _training("merges two people the user sees (POST); each "
                                             "found through visible_to, 404 otherwise"),
    **{f"training:{name}": _training(
        "one person through visible_to(Participant): themself, their organisation, their "
        "sessions' trainers and programmes' coordinators; 404 for anyone else")
       for name in ("participant", "participant_edit")},
    **{f"training:{name}": _training(
        "one session through Session.objects.visible_to (its course's audience), then the "
        "enrolments the user sees; 404 outside the course's audience")
       for name in ("session_enrol", "session_self_enrol", "session_attendance",
                    "session_scores")},
    **{f"training:{name}": _training(
        "one enrolment through visible_to(Enrolment): the person and the course both seen; "
        "404 for anyone else")
       for name in ("enrolment_withdraw", "enrolment_completion")},
    # --- intel: notes and the STIX store -----------------------------------------------
    "intel:notes": _covered("check_pages", "the notes a user may see"),
    "intel:note_create": _signed_in("an empty form; writes go through create_note"),
    "intel:note": _covered("check_pages", "one note, 404 outside its audience"),
    "intel:note_edit": _covered("check_pages", "one note, 404 outside its audience"),
    "intel:note_delete": _covered("check_pages", "one note, 404 outside its audience"),
    "intel:objects": _covered("check_store", "the STIX objects a user may see"),
    "intel:object": _covered("check_store", "one STIX object, 404 outside its audience"),
    "intel:object_selection": _covered(
        "check_object_exports", "records ticked on the object list (POST): exported among "
        "objects_for, re-marked or revoked only where corrections.may_correct"),
    "intel:object_remark": _record("re-marks one object: object_for, then the owner "
                                   "organisation's contributors only"),
    "intel:object_edit": _record("edits one object: object_for, then the owner "
                                 "organisation's contributors only"),
    "intel:object_revoke": _record("revokes one object: object_for, then the owner "
                                   "organisation's contributors only"),
    "intel:submit": _signed_in("an upload form; a submission only adds what the user may see"),
    "intel:submissions": _self("the submissions of the caller's organisation"),
    "intel:submission": _self("one submission of the caller's organisation; its objects "
                              "are listed through objects_for"),
    "intel:submission_progress": _covered(
        "check_submission_progress", "the status of a submission a worker stores, to the "
        "submission's audience only (submissions_for): 404 for everyone else"),
    "intel:submission_correct": _self("re-marks or revokes the caller organisation's "
                                      "records of its own submission, among objects_for"),
    "intel:submission_original": _covered(
        "check_originals", "the file or text a submission came as, to the submission's "
        "audience only (submissions_for): 404 for everyone else"),
    "intel:submission_erase": _self("erases one submission of the caller's organisation "
                                    "that they are in the audience of, with its original"),
    "intel:lookup": _covered("check_store", "the lookup page calls the same services.lookup "
                             "as the API: matches visible, hit/no-hit otherwise; its kept "
                             "pages fetch the matches again through objects_for"),
    "intel:inbox": _signed_in("the old address of the hit list: redirects to the inbox"),
    "intel:broker": _covered("check_broker", "the desk's broker view of every hit: desk "
                             "brokers only (policy.brokering), 404 for anyone else; audited"),
    "intel:exclusions": _admin("the platform's own warninglist; manage-platform capability"),
    "intel:export_links": _self("the caller's own saved export links"),
    "intel:export_link_revoke": _self("revokes one of the caller's own export links"),
    "intel:export_link_fetch": _covered(
        "check_export_link", "the key in the URL stands for its owner's sign-in; the file "
        "holds what the owner may see"),
    "intel:export_link_fetch_header": _covered(
        "check_export_link", "the same fetch with the key in a header (Authorization: "
        "Bearer or X-Vaka-Key) instead of the URL", probe="/intel/export/objects.csv"),
    "intel:galaxy_options": _signed_in("names from the shipped MISP galaxies"),
    # --- analytics ---------------------------------------------------------------------
    "analytics:dashboard": _covered("check_analytics", "figures summed over the marking "
                                    "classes visible_to the user; values named only from "
                                    "objects the user may see"),
    "analytics:chart_csv": _covered("check_analytics", "one chart's data, the same figures "
                                    "as the page"),
    # --- training statistics -----------------------------------------------------------
    "training:statistics": _training("figures counted over the trained enrolments "
                                      "visible_to the user (both the person and the course "
                                      "seen); zeros for an outsider"),
    "training:statistics_csv": _training("one chart's data, the same figures as the page"),
    **{f"training:donor_report_{kind}": _training(
        "the statistics' figures, sessions held and human-rights and gender content, all "
        "from the enrolments visible_to the user")
       for kind in ("pdf", "xlsx")},
    # --- training: the course catalogue and sessions ------------------------------------
    "training:catalogue": _training("the courses visible_to the user (courses_for), "
                                     "archived ones when asked; upcoming sessions counted "
                                     "over those courses only"),
    "training:course_create": _signed_in("an empty form; writes go through "
                                         "courses.create_course (trainers only)"),
    "training:sessions": _training("the sessions of the courses visible_to the user; the "
                                    "course filter offers and accepts only those courses"),
    **{f"training:{name}": _training(
        "one course through Course.objects.visible_to (selectors_courses.course_for): 404 "
        "outside its audience; writes need its trainers (courses.can_manage), 403 otherwise")
       for name in ("course", "course_edit", "course_archive", "session_create")},
    **{f"training:{name}": _training(
        "one session through Session.objects.visible_to (its course's audience, "
        "selectors_courses.session_for): 404 outside it; trainers named only where the "
        "person is seen; writes need the course's trainers, 403 otherwise")
       for name in ("session", "session_edit", "session_cancel", "session_trainers")},
    # --- training: quizzes -------------------------------------------------------------
    **{f"training:{name}": _training(
        "one quiz or question of a course, through Quiz/Question.objects.visible_to "
        "(training.quizzes.quiz_for, question_for): 404 outside the course's audience; "
        "writes need the course's trainers (courses.can_manage); a start makes the caller's "
        "own attempt")
       for name in ("quiz", "quiz_edit", "quiz_delete", "quiz_start", "question_create",
                    "question_edit", "question_delete")},
    "training:quiz_create": _training("an empty form on a module seen through "
                                    "Module.objects.visible_to; 404 outside its course's "
                                    "audience, 403 for all but its trainers"),
    **{f"training:{name}": _training(
        "one attempt, through visible_to(Attempt) (training.quizzes.attempt_for): seen "
        "only where both the person and the course are, 404 elsewhere; only the learner "
        "answers or gives it up")
       for name in ("attempt", "attempt_submit", "attempt_result", "attempt_abandon")},
    "training:quiz_worker": _public("the offline quiz's service worker: the same static "
                                    "script for everyone, no record"),
    # --- training: xAPI, Moodle import, course bundles ----------------------------------
    "training:xapi_statements": _training(
        "xAPI statements built from the attendance, lesson progress, attempts and "
        "enrolments visible_to the user (both the person and the course seen); an "
        "outsider's list is empty"),
    "training:moodle_import": _signed_in(
        "an empty form, then a preview of the uploaded file matched only against the "
        "participants visible_to the user (a hidden person's e-mail makes a new record); "
        "sessions offered from visible_to; importing needs the course's trainers or the "
        "people's organisation admin"),
    "training:bundles": _signed_in(
        "the courses the user manages (their organisation's, through visible_to) and an "
        "import form that makes a new course of the user's organisation"),
    "training:bundle_export": _training(
        "?course=<id> through Course.objects.visible_to: 404 outside its audience, 403 "
        "for all but its trainers; without a course, 404"),
    # --- training: online lessons ------------------------------------------------------
    **{f"training:{name}": _training(
        "one module, lesson or lesson file of a course, through Module/Lesson/LessonFile"
        ".objects.visible_to (training.lessons.module_for and the like): 404 outside the "
        "course's audience; writes need the course's trainers (courses.can_manage)")
       for name in ("module", "module_edit", "module_delete", "module_move", "module_pdf",
                    "lesson_create", "lesson", "lesson_read", "lesson_edit",
                    "lesson_delete", "lesson_move", "lesson_file", "lesson_file_remove")},
    "training:module_create": _training("an empty form on a course seen through "
                                      "Course.objects.visible_to; 404 outside its audience, "
                                      "403 for all but its trainers"),
    # --- products ----------------------------------------------------------------------
    "products:list": _covered("check_products", "products_for(user): released products in "
                              "the user's audience, and the organisation's own drafts"),
    "products:product_create": _signed_in("an empty form; writes go through create_product"),
    "products:product": _covered("check_products", "one product as revision_for(user) gives "
                                 "it, its annex only what the reader may see; 404 otherwise"),
    "products:product_edit": _covered("check_products", "one product, 404 outside its "
                                      "audience; the owner's writers only"),
    "products:product_pdf": _covered("check_products", "the page's reading as a PDF, 404 "
                                     "outside the audience"),
    "products:product_step": _covered("check_products", "a workflow step on one product "
                                      "(POST), 404 outside its audience"),
    "products:product_revise": _covered("check_products", "starts a revision (POST), 404 "
                                        "outside the audience"),
    "products:product_disseminate": _covered("check_products", "the owner's dissemination "
                                             "form, 404 outside the audience"),
    "products:product_acknowledge": _covered("check_products", "a recipient's "
                                             "acknowledgement (POST), 404 outside the audience"),
    "products:product_retry_mail": _covered("check_products", "the owner's mail retry "
                                            "(POST), 404 outside the audience"),
    "products:translation_edit": _covered("check_products", "the owner's translation form, "
                                          "404 outside the audience"),
    "products:translation_review": _covered("check_products", "a translation's review step "
                                            "(POST), 404 outside the audience"),
    "products:attachment_add": _covered("check_products", "adds a file to the owner's draft "
                                        "(POST), 404 outside the audience"),
    "products:attachment": _covered("check_products", "a file of a revision the reader may "
                                    "see, 404 otherwise"),
    "products:attachment_remove": _covered("check_products", "removes a file of the owner's "
                                           "draft (POST), 404 outside the audience"),
    # --- operations (compartmented: participants only, platform admins included) -------
    "operations:list": _covered("check_operations", "operations_for(user): the operations "
                                "of the user's compartments within their markings, filtered; "
                                "no count of others; the user's organisation's open tasks"),
    "operations:create": _signed_in("an empty form; writes go through open_operation"),
    "operations:operation": _covered("check_operations", "one operation, operation_for: "
                                     "404 outside its participants' audience"),
    "operations:stix": _covered("check_operations_api", "the operation's STIX bundle as a "
                                "download, as the API's; 404 outside its audience"),
    "operations:edit": _covered("check_operations", "the coordinators' form on one "
                                "operation, 404 outside its audience"),
    "operations:participants": _covered("check_operations", "the coordinators' "
                                        "participants form, 404 outside the operation's "
                                        "audience"),
    "operations:phase": _covered("check_operations", "moves one operation's phase (POST), "
                                 "404 outside its audience"),
    "operations:close": _covered("check_operations", "closes one operation (POST), 404 "
                                 "outside its audience"),
    "operations:targets": _covered("check_operations", "one operation's targets "
                                   "(targets_for), 404 outside its audience"),
    "operations:targets_add": _covered("check_operations", "the coordinators' targets "
                                       "form, 404 outside the operation's audience"),
    "operations:target_link": _covered("check_operations", "links one target to "
                                       "intelligence the user may see, 404 outside the "
                                       "operation's audience"),
    "operations:target_remove": _covered("check_operations", "removes one target (POST), "
                                         "404 outside the operation's audience"),
    "operations:tasks": _covered("check_operations", "one operation's tasks; a "
                                 "coordinator's POST assigns one; 404 outside its "
                                 "audience"),
    "operations:task_status": _covered("check_operations", "a task's status (POST), 404 "
                                       "outside the operation's audience"),
    "operations:timeline": _covered("check_operations", "one operation's action log "
                                    "(actions_for: visible_to on the actions), 404 "
                                    "outside its audience; a recorder's POST adds an "
                                    "action"),
    "operations:action_edit": _covered("check_operations", "one action of the log, 404 "
                                       "outside the operation's audience; its recorder or "
                                       "a coordinator changes it"),
    "operations:action_remove": _covered("check_operations", "removes one action (POST), "
                                         "404 outside the operation's audience"),
    "operations:results": _covered("check_operations", "one operation's results and "
                                   "totals (results_for, totals_for: visible_to on the "
                                   "results), 404 outside its audience; a recorder's POST "
                                   "adds a result"),
    "operations:result_edit": _covered("check_operations", "one result, 404 outside the "
                                       "operation's audience; its recorder or a "
                                       "coordinator changes it"),
    "operations:result_remove": _covered("check_operations", "removes one result (POST), "
                                         "404 outside the operation's audience"),
    "operations:lessons": _covered("check_operations", "a coordinator writes the lessons "
                                   "learned (POST), 404 outside the operation's audience"),
    "operations:after_action": _covered("check_operations", "a coordinator drafts the "
                                        "after-action report (POST), 404 outside the "
                                        "operation's audience; the draft carries the "
                                        "operation's markings narrowed to its readers"),
    # deconfliction's pages: hit/no-hit for what the caller may not see
    "operations:deconfliction_check": _covered(
        "check_operations", "a coordinator's bulk check, storing nothing asked: per line "
        "the operations and records the caller sees (visible_to), hit/no-hit for the rest; "
        "403 for other roles"),
    "operations:clashes": _covered(
        "check_operations", "the desk's broker view of clashes, both sides named: desk "
        "brokers only (policy.brokering), 404 for anyone else, other organisations' "
        "platform admins included; each read audited; a broker's POST introduces the two "
        "leads"),
    # --- secure messages (compartmented: sender and recipients, within the markings) -
    "messaging:list": _covered("check_messaging", "messages_for(user): the messages of the "
                               "user's compartments within their markings, filtered; no "
                               "count of others"),
    "messaging:compose": _signed_in("an empty form; writes go through send_message"),
    "messaging:message": _covered("check_messaging", "one message's thread, message_for "
                                  "and thread_for: 404 outside its audience, a thread's "
                                  "other messages skipped unless the reader may see them; "
                                  "opening marks it read"),
    "messaging:reply": _covered("check_messaging", "the reply form on one message, 404 "
                                "outside its audience; the reply goes through "
                                "services.reply"),
    "messaging:forward": _covered("check_messaging", "a hub's forward form on one message "
                                  "it received, 404 outside the message's audience, 403 "
                                  "for anyone else"),
    "messaging:attachment": _covered("check_messaging", "one file of a message the reader "
                                     "may see (a download, sandboxed), 404 otherwise"),
    "messaging:eml": _covered("check_messaging_api", "one message the reader may see as "
                              "an RFC 5322 .eml file (message_for, thread references only "
                              "to messages the reader may see); 404 otherwise"),
    "messaging:import": _signed_in("an empty form; a .eml file is sent as a new message "
                                   "of the caller's organisation through send_message"),
    "messaging:rfis": _covered("check_messaging", "rfis_for(user): the requests for "
                               "information of the user's compartments within their "
                               "markings, filtered; a recipient counts its own answer only"),
    "messaging:rfi_create": _signed_in("an empty form; writes go through send_rfi"),
    "messaging:rfi_figures_csv": _covered("check_messaging", "RFI figures per "
                                          "organisation counted over the rows visible_to "
                                          "the caller (their own answers for a recipient); "
                                          "nothing of others"),
    "messaging:rfi_answer": _covered("check_messaging", "the answer form on one RFI "
                                     "(rfi_for: 404 outside the message's audience, 403 "
                                     "unless the caller's organisation was asked); POST "
                                     "answers through answer_rfi"),
    "messaging:rfi_close": _covered("check_messaging", "closes one RFI (POST) through "
                                    "close_rfi: 404 outside the message's audience, 403 "
                                    "but for the sender"),
    # --- inbox -------------------------------------------------------------------------
    "inbox:list": _covered("check_inbox", "the notices of the user's organisation within "
                           "the audience of what each is about"),
    "inbox:open": _covered("check_inbox", "one notice, 404 outside its audience; marks it "
                           "read and redirects to its target"),
    "inbox:mark_all_read": _self("marks the caller's own notices read (POST)"),
    "inbox:settings": _self("the caller's own inbox e-mail settings"),
    # --- awareness: public material and campaigns --------------------------------------
    # Public material is a shareable record at its public audience: the pages serve
    # selectors.public_materials() alone, the same to everyone (404 for anything else).
    "awareness:list": _covered("check_awareness", "public_materials(): released awareness "
                               "products public and TLP:CLEAR, to everyone, no sign-in"),
    "awareness:material": _covered("check_awareness", "one of public_materials(), its "
                                   "public revision; 404 for anything else, for everyone"),
    "awareness:leaflet": _covered("check_awareness", "the one-page PDF of one of "
                                  "public_materials(); 404 for anything else"),
    "awareness:feed": _covered("check_awareness", "the Atom feed of public_materials()"),
    "campaigns:list": _covered("check_campaigns", "the campaigns a user may see"),
    "campaigns:create": _signed_in("an empty form; writes go through create_campaign"),
    "campaigns:campaign": _covered("check_campaigns", "one campaign, its materials among "
                                   "products_for and its reach; 404 outside its audience"),
    "campaigns:edit": _covered("check_campaigns", "one campaign, 404 outside its audience; "
                               "the owner organisation's contributors change it"),
    "campaigns:reach": _covered("check_campaigns", "records reach for one campaign (POST), "
                                "404 outside its audience"),
    # --- exchange pages ----------------------------------------------------------------
    "exchange:collections": _signed_in("TAXII collections are saved filters, not records; "
                                       "users see the ones they may read"),
    "exchange:collection_create": _admin(_PLATFORM),
    "exchange:collection_edit": _admin(_PLATFORM),
    "exchange:collection_delete": _admin(_PLATFORM),
    "exchange:feeds": _admin(_PLATFORM),
    "exchange:feed_create": _admin(_PLATFORM),
    "exchange:feed": _admin(_PLATFORM),
    "exchange:feed_edit": _admin(_PLATFORM),
    "exchange:feed_poll": _admin(_PLATFORM),
    "exchange:feed_job": _admin(_PLATFORM),
    "exchange:peers": _admin(_PLATFORM),
    "exchange:peer_create": _admin(_PLATFORM),
    "exchange:peer": _admin(_PLATFORM),
    "exchange:peer_edit": _admin(_PLATFORM),
    "exchange:peer_sync": _admin(_PLATFORM),
    "exchange:peer_job": _admin(_PLATFORM),
    # --- TAXII 2.1 ---------------------------------------------------------------------
    "taxii:discovery": _signed_in("TAXII discovery: where the API root is"),
    "taxii:root": _signed_in("TAXII API root information"),
    "taxii:status": _self("the status of the caller's own TAXII submission"),
    "taxii:collections": _signed_in("the collections the caller may read or write"),
    "taxii:collection": _signed_in("one collection's description, not its objects"),
    "taxii:manifest": _covered("check_taxii", "a collection's manifest through visible_to"),
    "taxii:objects": _covered("check_taxii", "a collection's objects through visible_to"),
    "taxii:object": _covered("check_taxii", "one object, 404 outside its audience"),
    "taxii:versions": _covered("check_taxii", "one object's versions, 404 outside its "
                               "audience"),
    # --- instance-to-instance sync -----------------------------------------------------
    "sync_objects": _covered("check_sync_offer", "connected instances only (peer token); "
                             "what crosses follows the sync rule"),
    # --- REST API ----------------------------------------------------------------------
    "api-root": _signed_in("the list of API endpoints"),
    "schema": _signed_in("the OpenAPI schema describes the API, not its data; "
                         "for signed-in users and API clients only"),
    "api_docs": _signed_in("Swagger UI over the schema"),
    "api_redoc": _signed_in("Redoc over the schema"),
    "lookup": _covered("check_store", "matches visible, hit/no-hit otherwise"),
    "broker-clash-list": _signed_in("the clash broker view's API: desk brokers only, 404 "
                                    "for anyone else; each read audited"),
    "broker-clash-introduce": _signed_in("a desk broker introduces a clash's two leads "
                                         "(POST); 404 for anyone else"),
    "extract": _signed_in("reads only the text the caller sends and stores nothing; no "
                          "shareable record"),
    "object_export": _covered("check_object_exports", "STIX and CSV of the visible objects"),
    "blocklist": _covered("check_blocklists", "values of the visible objects that may be "
                          "blocked"),
    "country-list": _signed_in(_DIRECTORY),
    "country-detail": _signed_in(_DIRECTORY),
    "organisation-list": _signed_in(_DIRECTORY + "; creating needs manage-platform"),
    "organisation-detail": _signed_in(_DIRECTORY + "; changing needs manage-platform"),
    "user-list": _signed_in(_DIRECTORY + "; creating needs an organisation administrator"),
    "user-detail": _signed_in(_DIRECTORY + "; changing needs an organisation administrator"),
    "community-list": _signed_in(_DIRECTORY + "; creating needs manage-platform"),
    "community-detail": _signed_in(_DIRECTORY + "; changing needs manage-platform"),
    "token-list": _self("the caller's own API tokens"),
    "token-detail": _self("one of the caller's own API tokens"),
    "saved-search-list": _self("the caller's own saved searches; POST saves one"),
    "saved-search-detail": _self("one of the caller's own saved searches: read, rename, "
                                 "delete"),
    "note-list": _covered("check_api", "the notes a user may see"),
    "note-detail": _covered("check_api", "one note, 404 outside its audience"),
    "object-list": _covered("check_store", "the STIX objects a user may see"),
    "object-detail": _covered("check_store", "one STIX object, 404 outside its audience"),
    "object-remark": _self("re-marks the caller organisation's own records among "
                           "objects_for"),
    "object-revoke": _self("revokes the caller organisation's own records among objects_for"),
    "object-correlations": _covered("check_store", "correlations among visible objects, "
                                    "hit/no-hit otherwise"),
    "submission-list": _self("the submissions of the caller's organisation"),
    "submission-detail": _self("one submission of the caller's organisation"),
    "notification-list": _covered("check_store", "the API lists notifications_for(user), "
                                  "which the channel checks", probe="notifications_for("),
    "broker-hits": _covered("check_broker", "the broker view's API: desk brokers only, 404 "
                            "for anyone else; audited"),
    "notification-detail": _covered("check_store", "one of notifications_for(user)",
                                    probe="notifications_for("),
    "notice-list": _covered("check_inbox", "the API lists notices_for(user), with the "
                            "page's filters"),
    "notice-detail": _covered("check_inbox", "one of notices_for(user), 404 otherwise"),
    "notice-read": _covered("check_inbox", "marks one of notices_for(user) read, 404 "
                            "otherwise (POST)"),
    "notice-read-all": _covered("check_inbox", "marks the caller's own notices read (POST)"),
    "product-list": _covered("check_products_api", "products_for(user): released products "
                             "in the user's audience, the organisation's own drafts; POST "
                             "creates one through create_product"),
    "product-detail": _covered("check_products_api", "the revision revision_for(user) gives, "
                               "linked objects and annex only what the reader may see; 404 "
                               "otherwise; PUT/PATCH the owner's writers only"),
    "product-recipients": _covered("check_products_api", "recipients_for(user): every row "
                                   "for the owner organisation, its own for a recipient; "
                                   "404 outside the audience"),
    "product-stix": _covered("check_products_api", "the STIX report of the released revision "
                             "the reader may read, object_refs only the visible objects; "
                             "404 outside the audience and for drafts"),
    **{f"product-{name}": _covered("check_products_api", "a workflow step on one product "
                                   "(POST) through its service, 404 outside its audience")
       for name in ("submit", "return-to-draft", "approve", "new-revision", "disseminate",
                    "acknowledge", "close")},
    # Operations over the API: the pages' selectors and services, each operation first
    # through operation_for (404 outside its compartment and markings).
    "operation-list": _covered("check_operations_api", "operations_for(user) with the "
                               "page's filter; POST opens one through open_operation"),
    "operation-detail": _covered("check_operations_api", "one operation, operation_for: 404 "
                                 "outside its audience; PUT/PATCH through update_operation"),
    "operation-stix": _covered("check_operations_api", "the operation's STIX bundle "
                               "(operations.stix, linked intelligence only as visible), 404 "
                               "outside its audience"),
    **{f"operation-{name}": _covered("check_operations_api", "an action on one operation "
                                     "(POST) through its service, 404 outside its audience")
       for name in ("participants", "phase", "close", "after-action")},
    "operation-deconfliction-check": _signed_in(
        "a coordinator's bulk check (check_values), storing nothing asked: per value the "
        "operations the user sees, hit/no-hit for the others"),
    **{f"operation-{part}-{name}": _covered(
        "check_operations_api", f"one operation's {part}s ({part}s of operation_for's "
        "operation through their selector), 404 outside its audience; writes through the "
        "services") for part in ("target", "task", "action", "result")
       for name in ("list", "detail")},
    "operation-target-link": _covered("check_operations_api", "links one target (POST), 404 "
                                      "outside the operation's audience"),
    "operation-task-status": _covered("check_operations_api", "a task's status (POST), 404 "
                                      "outside the operation's audience"),
    "operation-result-totals": _covered("check_operations_api", "totals_for(user, "
                                        "operation), 404 outside its audience"),
    # Secure messages and RFIs over the API: the pages' selectors and services.
    "message-list": _covered("check_messaging_api", "messages_for(user) with the page's "
                             "filter; POST sends one through send_message"),
    "message-import": _covered("check_messaging_api", "sends a .eml file as a new message of "
                               "the caller's organisation through send_message (POST); "
                               "reads no record"),
    "message-detail": _covered("check_messaging_api", "one message, message_for: 404 "
                               "outside its audience; reading it marks the receipt"),
    "message-receipts": _covered("check_messaging_api", "receipts_for(user): every "
                                 "recipient's for the sender, its own for a recipient; 404 "
                                 "outside the audience"),
    "message-attachment": _covered("check_messaging_api", "one file of a message the reader "
                                   "may see (attachment_for), a sandboxed download; 404 "
                                   "otherwise"),
    "message-eml": _covered("check_messaging_api", "the message as a .eml file, as the "
                            "page's; 404 outside its audience"),
    **{f"message-{name}": _covered("check_messaging_api", "a reply or a hub's forward of "
                                   "one message (POST) through its service, 404 outside "
                                   "its audience")
       for name in ("reply", "forward")},
    "rfi-list": _covered("check_messaging_api", "rfis_for(user) with the page's filter; "
                         "POST asks through send_rfi"),
    "rfi-detail": _covered("check_messaging_api", "one RFI (rfi_for) with answers_for(user); "
                           "404 outside its message's audience"),
    **{f"rfi-{name}": _covered("check_messaging_api", "answers or closes one RFI (POST) "
                               "through its service, 404 outside its message's audience")
       for name in ("answer", "close")},
    "rfi-figures": _covered("check_messaging_api", "RFI figures counted over the rows "
                            "visible_to the caller; nothing of other RFIs"),
    # Training over the API: the pages' selectors, filters and services; every record
    # first through visible_to (404 outside its audience, POSTs included).
    "training-course-list": _covered("check_training_api", "courses_for(user) with the "
                                     "catalogue's filter; POST adds one through create_course"),
    "training-course-detail": _covered("check_training_api", "one course, course_for: 404 "
                                       "outside its markings; PUT/PATCH through update_course"),
    "training-course-outline": _covered("check_training_api", "the modules, lessons, quizzes "
                                        "and questions of a course course_for gives (the "
                                        "answer key to its managers only), 404 outside it"),
    "training-session-list": _covered("check_training_api", "sessions_for(user) with the "
                                      "session list's filter, trainers only as visible_to "
                                      "the caller; POST through create_session"),
    "training-session-detail": _covered("check_training_api", "one session, session_for: 404 "
                                        "outside its course's markings; PUT/PATCH through "
                                        "update_session"),
    **{f"training-session-{name}": _covered("check_training_api", "an action on one session "
                                            "(POST) through its service, 404 outside its "
                                            "course's markings")
       for name in ("cancel", "trainers")},
    "training-participant-list": _covered("check_training_api", "people visible_to the "
                                          "caller (the personal-record rule) with the "
                                          "participants page's filter; POST through "
                                          "create_participant"),
    "training-participant-detail": _covered("check_training_api", "one person visible_to "
                                            "the caller, 404 otherwise; PUT/PATCH through "
                                            "update_participant"),
    "training-enrolment-list": _covered("check_training_api", "enrolments visible_to the "
                                        "caller (both the person and the course); POST enrols "
                                        "(enrol, self_enrol) naming a session and person "
                                        "the caller sees"),
    "training-enrolment-detail": _covered("check_training_api", "one enrolment visible_to "
                                          "the caller, 404 otherwise"),
    **{f"training-enrolment-{name}": _covered("check_training_api", "an action on one "
                                              "enrolment (POST) through its service, 404 "
                                              "outside its audience")
       for name in ("withdraw", "scores", "completion")},
    "training-certificate-list": _covered("check_training_api", "certificates visible_to "
                                          "the caller (both the person and the course)"),
    "training-certificate-detail": _covered("check_training_api", "one certificate "
                                            "visible_to the caller, 404 otherwise"),
    "training-certificate-revoke": _covered("check_training_api", "revokes one certificate "
                                            "(POST) through certificates.revoke, 404 outside "
                                            "its audience"),
    "training-statistics-list": _covered("check_training_api", "training_figures(user, "
                                         "filters): counted over the enrolments visible_to "
                                         "the caller only"),
}
