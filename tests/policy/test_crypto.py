"""Secrets at rest (vaka.policy.crypto): feed and peer credentials encrypted in the database,
keys derived or configured, rotation, and a clear error when no key decrypts a value."""

import pytest
from cryptography.fernet import Fernet
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory, confirmed_totp, totp_code
from vaka.exchange import feeds, sync
from vaka.exchange.models import Feed, FeedPoll, Peer
from vaka.policy import crypto
from vaka.policy.models import AuditEntry

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PASSWORD = "medallion-secret-7"


def stored(table: str, column: str, pk: int) -> str:
    """The value as it is in the database, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def set_stored(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def a_feed(region, **extra) -> Feed:
    fields = {"name": "Partner", "kind": Feed.Kind.TAXII, "organisation": region.unit_a,
              "url": "https://taxii.partner.example/api/collections/abc/",
              "username": "vaka", "password": PASSWORD, **extra}
    return Feed.objects.create(**fields)


def test_credentials_are_stored_encrypted_and_read_back_in_clear(region):
    feed = a_feed(region, token="Token abc123")
    raw = stored("exchange_feed", "password", feed.pk)
    assert raw.startswith(crypto.PREFIX) and PASSWORD not in raw
    assert "abc123" not in stored("exchange_feed", "token", feed.pk)
    again = Feed.objects.get(pk=feed.pk)
    assert (again.password, again.token) == (PASSWORD, "Token abc123")


def test_each_save_encrypts_afresh_and_empty_stays_empty(region):
    feed = a_feed(region)
    first = stored("exchange_feed", "password", feed.pk)
    feed.save()
    assert stored("exchange_feed", "password", feed.pk) != first
    assert stored("exchange_feed", "token", feed.pk) == ""


def test_peer_token_is_stored_encrypted(db):
    peer, _incoming = sync.create_peer(actor=None, name="Twin", url="https://twin.example",
                                       outgoing_token="peer-token-42")
    assert "peer-token-42" not in stored("exchange_peer", "outgoing_token", peer.pk)
    assert Peer.objects.get(pk=peer.pk).outgoing_token == "peer-token-42"


def test_the_derived_key_is_not_the_signing_key(settings):
    settings.ENCRYPTION_KEY = ""
    assert crypto.keys() == (crypto.derive_key(settings.SECRET_KEY),)
    assert crypto.keys()[0] != settings.SECRET_KEY.encode()
    settings.ENCRYPTION_KEY = NEW
    assert crypto.keys() == (NEW.encode(),)


def test_changing_the_secret_key_keeps_secrets_with_the_old_derived_key_kept(
        region, settings, capsys):
    settings.ENCRYPTION_KEY = ""
    feed = a_feed(region)
    call_command("secrets", "current-key")
    derived = capsys.readouterr().out.strip()
    settings.SECRET_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = "a new secret key " * 4, [derived]
    assert Feed.objects.get(pk=feed.pk).password == PASSWORD


def test_a_previous_key_still_decrypts(region, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = NEW, [OLD]
    assert Feed.objects.get(pk=feed.pk).password == PASSWORD


def test_rotate_moves_every_value_to_the_current_key_and_is_audited(region, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region, token="t0ken")
    set_stored("exchange_feed", "username", feed.pk, "vaka")
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = NEW, [OLD]
    [before] = [r for r in crypto.check() if r.label == "exchange.Feed.password"]
    assert before.by_key == {1: 1}
    call_command("secrets", "rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    entry = AuditEntry.objects.get(action="secrets_rotate")
    assert entry.detail["rewritten"] == {"exchange.Feed.password": 1, "exchange.Feed.token": 1}
    settings.ENCRYPTION_KEYS_PREVIOUS = []  # the old key is gone: every value still reads
    again = Feed.objects.get(pk=feed.pk)
    assert (again.password, again.token) == (PASSWORD, "t0ken")
    assert all(not r.unreadable and set(r.by_key) <= {0} for r in crypto.check())


def test_check_tells_how_many_values_each_key_decrypts(region, settings, capsys):
    settings.ENCRYPTION_KEY = OLD
    a_feed(region)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = NEW, [OLD]
    a_feed(region, name="Second")
    call_command("secrets", "check")
    out = capsys.readouterr().out
    assert "exchange.Feed.password: 1 under the current key, 1 under previous key 1" in out
    assert "run `vaka secrets rotate`" in out


def test_a_value_no_key_decrypts_is_a_clear_error_naming_model_row_and_field(region, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    settings.ENCRYPTION_KEY = NEW
    again = Feed.objects.get(pk=feed.pk)
    with pytest.raises(crypto.SecretUnreadable) as error:
        _ = again.password
    message = str(error.value)
    assert f"password of exchange.Feed #{feed.pk}" in message
    assert "encryption key changed" in message and "vaka secrets" in message
    assert crypto.unreadable(again, "password") and again.unreadable_secrets == ["password"]
    with pytest.raises(CommandError, match=f"exchange.Feed.password of rows {feed.pk}"):
        call_command("secrets", "check", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_saving_a_row_keeps_a_value_no_key_decrypts(region, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    raw = stored("exchange_feed", "password", feed.pk)
    settings.ENCRYPTION_KEY = NEW
    again = Feed.objects.get(pk=feed.pk)
    again.enabled = False
    again.save()
    assert stored("exchange_feed", "password", feed.pk) == raw
    settings.ENCRYPTION_KEYS_PREVIOUS = [OLD]  # the old key comes back: so does the secret
    assert Feed.objects.get(pk=feed.pk).password == PASSWORD


def test_a_poll_says_the_credential_cannot_be_decrypted(region, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    settings.ENCRYPTION_KEY = NEW
    record = feeds.poll(Feed.objects.get(pk=feed.pk))
    assert record.status == FeedPoll.Status.FAILED
    assert "cannot be decrypted: the encryption key changed" in record.message
    assert "Unexpected" not in record.message
    assert "cannot be decrypted" in Feed.objects.get(pk=feed.pk).last_error


def test_a_sync_says_the_token_cannot_be_decrypted(db, settings):
    settings.ENCRYPTION_KEY = OLD
    peer, _incoming = sync.create_peer(actor=None, name="Twin", url="https://twin.example",
                                       outgoing_token="peer-token-42")
    settings.ENCRYPTION_KEY = NEW
    run = sync.sync(Peer.objects.get(pk=peer.pk))
    assert run.status == "failed" and "cannot be decrypted" in run.message


def _admin_client(region, client):
    admin = UserFactory(role="platform_admin", organisation=region.unit_b)
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    return client


def test_pages_say_a_credential_cannot_be_decrypted_and_never_show_it(region, client, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    peer, _incoming = sync.create_peer(actor=None, name="Twin", url="https://twin.example",
                                       outgoing_token="peer-token-42")
    _admin_client(region, client)  # signs in with a TOTP device made under the old key
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = NEW, []
    for url in (f"/exchange/feeds/{feed.pk}/", f"/exchange/feeds/{feed.pk}/edit/",
                f"/exchange/peers/{peer.pk}/", f"/exchange/peers/{peer.pk}/edit/"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert "cannot be decrypted" in text, url
        assert crypto.PREFIX not in text and PASSWORD not in text, url


def test_the_feed_form_asks_again_for_a_credential_no_key_decrypts(region, client, settings):
    settings.ENCRYPTION_KEY = OLD
    feed = a_feed(region)
    _admin_client(region, client)
    settings.ENCRYPTION_KEY = NEW
    data = {"name": "Partner", "kind": "taxii", "url": feed.url, "username": "vaka",
            "password": "", "token": "", "verify_tls": "on",
            "organisation": region.unit_a.pk, "tlp": "green", "distribution": "members",
            "interval_minutes": 60, "enabled": "on"}
    refused = client.post(f"/exchange/feeds/{feed.pk}/edit/", data)
    assert refused.status_code == 200 and "Enter it again" in refused.content.decode()
    answer = client.post(f"/exchange/feeds/{feed.pk}/edit/", {**data, "password": "n3w"})
    assert answer.status_code == 302
    assert Feed.objects.get(pk=feed.pk).password == "n3w"


def test_dumps_carry_the_encrypted_form_and_load_back(region):
    feed = a_feed(region)
    dump = serializers.serialize("json", [feed])
    assert PASSWORD not in dump and crypto.PREFIX in dump
    [loaded] = serializers.deserialize("json", dump)
    assert loaded.object.password == PASSWORD


def test_a_malformed_key_stops_start_up_naming_the_variable(settings):
    settings.ENCRYPTION_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="VAKA_ENCRYPTION_KEY is not an encryption"):
        crypto.keys()
    [error] = crypto.check_keys()
    assert error.id == "vaka.E010"
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = NEW, [OLD, "short"]
    with pytest.raises(ImproperlyConfigured, match=r"KEYS_PREVIOUS \(item 2\)"):
        crypto.keys()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_credentials_stored_in_plain_text(region):
    executor = MigrationExecutor(connection)
    before = [("exchange", "0003_collection_write_markings")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    feed = old.get_model("exchange", "Feed").objects.create(
        name="Legacy", kind="misp", url="https://misp.example/feed/", username="u",
        password=PASSWORD, token="legacy-token", organisation_id=region.unit_a.pk)
    peer = old.get_model("exchange", "Peer").objects.create(
        name="Legacy", url="https://twin.example", outgoing_token="legacy-peer",
        incoming_token_hash="0" * 64)
    assert stored("exchange_feed", "password", feed.pk) == PASSWORD
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert PASSWORD not in stored("exchange_feed", "password", feed.pk)
    assert "legacy" not in stored("exchange_peer", "outgoing_token", peer.pk)
    again = Feed.objects.get(pk=feed.pk)
    assert (again.password, again.token) == (PASSWORD, "legacy-token")
    assert Peer.objects.get(pk=peer.pk).outgoing_token == "legacy-peer"
    executor = MigrationExecutor(connection)  # and back: plain text again
    executor.migrate(before)
    assert stored("exchange_feed", "password", feed.pk) == PASSWORD
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
