"""The owner's rules as pure functions: who a visitor is, who may spend, what is counted."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from inpaint import studio
from inpaint.errors import APITimeoutError, BadRequestError
from inpaint.shared import Window, open_state
from inpaint.studio.access import Access, AccessRefused, Rules, count_submissions
from inpaint.studio.visitors import Visitor, client_address, parse_proxies, visitor_of

OWNER = "sk-owner-test-1234567890"


# -- who a visitor is --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("127.0.0.1", "198.51.100.7", "", "127.0.0.1"),  # nobody trusted: header ignored
        ("127.0.0.1", "198.51.100.7", "127.0.0.1", "198.51.100.7"),
        ("203.0.113.9", "198.51.100.7", "127.0.0.1", "203.0.113.9"),  # untrusted peer
        # The rightmost untrusted hop: a visitor's own fake hop on the left is skipped.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.5", "10.0.0.0/8", "198.51.100.7"),
        ("10.0.0.2", "not-an-address", "10.0.0.0/8", "10.0.0.2"),
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
    ],
)
def test_the_address_is_the_peer_unless_a_trusted_proxy_says_otherwise(
    peer: str, header: str, trusted: str, expected: str
) -> None:
    assert client_address(peer, header, parse_proxies(trusted)) == expected


def test_a_bad_proxy_list_is_one_sentence() -> None:
    with pytest.raises(studio.SettingsError, match="STUDIO_TRUSTED_PROXIES.*not an IP"):
        studio.Settings.from_env({"STUDIO_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"})


def test_a_signed_in_visitor_is_their_account_and_owns_by_it() -> None:
    request = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"), headers={})
    signed = visitor_of(request, {"preferred_username": "ada"}, browser_token="t1")
    assert (signed.id, signed.owner, signed.signed_in) == ("hf:ada", "hf:ada", True)
    anonymous = visitor_of(request, None, browser_token="t1", session="s1")
    assert (anonymous.id, anonymous.owner) == ("ip:127.0.0.1", "browser:t1")
    assert visitor_of(request, None, session="s1").owner == "session:s1"


# -- the settings ------------------------------------------------------------------------
def test_a_space_with_a_key_is_signed_in_only_by_default() -> None:
    on_space = studio.Settings.from_env({"SPACE_ID": "me/studio", "MODELSLAB_API_KEY": OWNER})
    assert on_space.owner_key_access == "signed-in"
    assert on_space.trusted_proxies  # the Space's proxy comes from private ranges
    assert on_space.forwarded_allow_ips().startswith("10.0.0.0/8")
    local = studio.Settings.from_env({"MODELSLAB_API_KEY": OWNER})
    assert local.owner_key_access == "everyone"
    assert local.trusted_proxies == () and local.forwarded_allow_ips() == ""


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"STUDIO_OWNER_KEY_ACCESS": "friends"}, "everyone, signed-in or nobody"),
        ({"STUDIO_VISITOR_QUOTA": "lots"}, "like 20/day or 5/hour"),
        ({"STUDIO_DAILY_BUDGET": "-3"}, "STUDIO_DAILY_BUDGET must be a whole number"),
        ({"STUDIO_VISITOR_CONCURRENCY": "0"}, "STUDIO_VISITOR_CONCURRENCY"),
    ],
)
def test_bad_public_settings_stop_start_up_plainly(env: dict[str, str], words: str) -> None:
    with pytest.raises(studio.SettingsError, match=words):
        studio.Settings.from_env(env)


def test_quota_and_budget_are_read() -> None:
    settings = studio.Settings.from_env(
        {"STUDIO_VISITOR_QUOTA": "5/hour", "STUDIO_DAILY_BUDGET": "40"}
    )
    assert settings.visitor_quota is not None
    assert (settings.visitor_quota.limit, settings.visitor_quota.period) == (5, Window.HOUR)
    assert settings.daily_budget == 40


# -- who may spend -----------------------------------------------------------------------
def access(clock=None, **rules) -> Access:
    state = open_state(None, clock=clock) if clock else open_state(None)
    return Access(Rules(**rules), state, OWNER)


ALICE = Visitor(id="ip:198.51.100.7", owner="browser:a")
ADA = Visitor(id="hf:ada", owner="hf:ada", signed_in=True, name="ada")


def test_closed_policies_refuse_the_owners_key_but_not_an_own_key() -> None:
    with pytest.raises(AccessRefused, match="paste your own ModelsLab key"):
        access(policy="nobody").check(ADA, None)
    with pytest.raises(AccessRefused, match="signed-in visitors"):
        access(policy="signed-in").check(ALICE, None)
    access(policy="signed-in").check(ADA, None)  # signed in: fine
    access(policy="nobody").check(ALICE, "sk-their-own")  # their own key: fine
    # Offline (no owner's key): nothing to protect.
    Access(Rules(policy="nobody"), open_state(None), "").check(ALICE, None)


def test_a_run_is_reserved_whole_and_what_was_not_sent_comes_back() -> None:
    now = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    rules = access(
        lambda: now,
        visitor_quota=studio.Settings.from_env({"STUDIO_VISITOR_QUOTA": "5/day"}).visitor_quota,
    )
    with rules.reserve(ALICE, None, 4) as spender:
        spender.spend(1)  # one job of four sent, then the run failed
    assert "You have 4 of 5 jobs left today" in rules.allowance(ALICE, None)
    with pytest.raises(AccessRefused) as refused:
        with rules.reserve(ALICE, None, 6):
            pass
    assert str(refused.value) == (
        "This needs 6 jobs; you have 4 left today; the count resets at 00:00 UTC "
        "(in 3 h 0 min). Nothing was sent."
    )
    # Another visitor, and an own key, are not touched by Alice's count.
    with rules.reserve(ADA, None, 5):
        pass
    assert "not counted" in rules.allowance(ALICE, "sk-their-own")


def test_the_daily_budget_is_named_when_it_is_what_runs_out() -> None:
    rules = access(daily_budget=2)
    with rules.reserve(ALICE, None, 2) as spender:
        spender.spend(2)
    with pytest.raises(AccessRefused, match="this Space's daily budget has none left"):
        with rules.reserve(ADA, None, 1):
            pass


class FakeTransport:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail, self.sent = fail, 0

    def submit(self, payload, **kwargs):
        self.sent += 1
        if self.fail is not None:
            raise self.fail
        return {"status": "processing", "id": self.sent}


def counted_client(fail: BaseException | None = None):
    transport = FakeTransport(fail)
    return SimpleNamespace(submitter=SimpleNamespace(transport=transport)), transport


def test_submissions_count_samples_lost_answers_but_not_refusals() -> None:
    rules = access(daily_budget=10)
    with rules.reserve(ALICE, None, 6) as spender:
        client, transport = counted_client()
        count_submissions(client, spender)
        transport_submit = client.submitter.transport.submit
        transport_submit({"samples": 3})
        assert spender.reservation.spent == 3
        lost, _ = counted_client(APITimeoutError("read timed out"))
        count_submissions(lost, spender)
        with pytest.raises(APITimeoutError):
            lost.submitter.transport.submit({"samples": 1})
        assert spender.reservation.spent == 4  # the answer was lost: it may exist
        refused, _ = counted_client(BadRequestError("bad value"))
        count_submissions(refused, spender)
        with pytest.raises(BadRequestError):
            refused.submitter.transport.submit({"samples": 1})
        assert spender.reservation.spent == 4  # the API refused it: not a job
        # More than was reserved is refused before anything is sent.
        with pytest.raises(AccessRefused):
            transport_submit({"samples": 3})
        assert transport.sent == 1
    assert "This Space has 6 of 10 jobs left today" in rules.allowance(ALICE, None)


# -- the page ----------------------------------------------------------------------------
def test_the_sign_in_button_is_on_the_page_only_where_sign_in_exists(monkeypatch) -> None:
    import gradio as gr
    import gradio.routes

    import app as page

    # Hugging Face's login exists on a Space only; here its routes are not attached.
    attached: list[object] = []
    monkeypatch.setattr(gradio.routes, "attach_oauth", attached.append)

    def buttons(login_offered: bool) -> int:
        settings = studio.Settings(api_key=OWNER, owner_key_access="signed-in")
        demo = page.build(
            studio.Studio(
                settings,
                backend=studio.Backend(settings, server_factory=lambda: None),
                login_offered=login_offered,
            )
        )
        return sum(isinstance(b, gr.LoginButton) for b in demo.blocks.values())

    assert buttons(True) == 1
    assert buttons(False) == 0


def test_the_banner_says_the_policy_and_limits_in_words() -> None:
    settings = studio.Settings.from_env(
        {
            "MODELSLAB_API_KEY": OWNER,
            "STUDIO_OWNER_KEY_ACCESS": "signed-in",
            "STUDIO_VISITOR_QUOTA": "20/day",
            "STUDIO_DAILY_BUDGET": "200",
        }
    )
    banner = studio.Backend(settings).banner()
    assert "signed in with Hugging Face" in banner
    assert "each visitor may send 20 jobs today" in banner
    assert "200 jobs per UTC day" in banner
    assert OWNER not in banner


def test_key_and_connection_messages_say_what_this_visitor_can_do() -> None:
    from inpaint.errors import APIConnectionError, AuthenticationError
    from inpaint.studio.messages import describe_error

    refused = AuthenticationError(
        "The API key was refused (HTTP 401): bad key. Check MODELSLAB_API_KEY."
    )
    own = describe_error(refused, "own-key")
    assert "Check the key in the key field" in own and "MODELSLAB_API_KEY" not in own
    owners = describe_error(refused, "modelslab")
    assert "This Space's ModelsLab key was refused" in owners and "your own key" in owners
    gone = APIConnectionError(
        "Cannot reach the server at modelslab.com. Is it running, and is the address right?"
    )
    assert "running" not in describe_error(gone, "modelslab")
    assert "Cannot reach ModelsLab" in describe_error(gone, "own-key")
    assert "local server" in describe_error(gone, "offline")


def test_a_visitor_who_may_not_use_the_key_reads_what_they_can_do() -> None:
    line = access(policy="signed-in").allowance(ALICE, None)
    assert "sign in with Hugging Face" in line and "paste your own" in line
    assert "Nothing was sent" not in line
