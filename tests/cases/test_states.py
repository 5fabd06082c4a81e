from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ecogrid.cases import states
from ecogrid.cases.states import (
    Action,
    CaseFacts,
    IllegalTransition,
    InvalidPayload,
    InvalidValue,
    RoleNotAllowed,
    Status,
    transition,
)

DUE = datetime(2025, 3, 1, 12, tzinfo=UTC)

# A payload that is valid for each action, so refusals in these tests come from the workflow rules.
GOOD_PAYLOAD = {
    Action.accept: {},
    Action.reject: {"reason": "outside_jurisdiction", "note": "go to the housing bureau"},
    Action.dispatch: {"user_id": 17},
    Action.start: {},
    Action.rectify: {"due_at": DUE, "requirement": "fit a fume purifier"},
    Action.reply: {"summary": "purifier fitted, odour gone"},
    Action.revisit: {"satisfaction": "satisfied"},
    Action.close: {},
    Action.extend: {"days": 30, "reason": "waiting for the monitoring report"},
    Action.answer: {"answer": "the noise limit at night is 45 dB(A) in class 1 areas"},
    Action.return_: {"reason": "outside_territory", "note": "the address lies in the next district"},
    Action.transfer: {"department_id": 3, "reason": "cooking fumes are urban management's"},
    Action.handover: {"department_id": 4, "reason": "social-life noise at night"},
    Action.cohandle: {"department_id": 5},
}

# (status, kind, action, role, payload override or None, expected new status)
LEGAL = [
    ("registered", "complaint", "accept", "clerk", None, "accepted"),
    ("registered", "complaint", "reject", "clerk", None, "rejected"),
    ("accepted", "complaint", "dispatch", "chief", None, "dispatched"),
    ("dispatched", "complaint", "dispatch", "chief", {"team_id": 3}, "dispatched"),
    ("dispatched", "complaint", "start", "inspector", None, "in_progress"),
    ("in_progress", "complaint", "rectify", "inspector", None, "rectification"),
    ("in_progress", "complaint", "reply", "inspector", None, "replied"),
    ("rectification", "complaint", "reply", "inspector", None, "replied"),
    ("replied", "complaint", "revisit", "clerk", None, "revisited"),
    ("replied", "complaint", "revisit", "clerk", {"satisfaction": "basically_satisfied"}, "revisited"),
    ("replied", "complaint", "revisit", "clerk", {"satisfaction": "unsatisfied"}, "dispatched"),
    ("revisited", "complaint", "close", "clerk", None, "closed"),
    ("accepted", "complaint", "extend", "chief", None, "accepted"),
    ("dispatched", "complaint", "extend", "chief", None, "dispatched"),
    ("in_progress", "complaint", "extend", "chief", None, "in_progress"),
    ("rectification", "complaint", "extend", "chief", None, "rectification"),
    ("replied", "complaint", "extend", "chief", None, "replied"),
    ("revisited", "complaint", "extend", "chief", None, "revisited"),
    ("registered", "consultation", "answer", "clerk", None, "closed"),
    ("registered", "consultation", "reject", "clerk", None, "rejected"),
    ("registered", "suggestion", "answer", "clerk", None, "closed"),
    ("registered", "suggestion", "reject", "clerk", None, "rejected"),
]


@pytest.mark.parametrize(("status", "kind", "action", "role", "payload", "expected"), LEGAL)
def test_every_legal_transition_reaches_its_status(status, kind, action, role, payload, expected):
    result = transition(
        status=status,
        kind=kind,
        action=action,
        role=role,
        payload=payload if payload is not None else GOOD_PAYLOAD[Action(action)],
    )
    assert result.status == expected
    assert result.from_status == status


@pytest.mark.parametrize(("status", "kind", "action", "role", "payload", "expected"), LEGAL)
def test_admin_may_take_every_legal_step(status, kind, action, role, payload, expected):
    del role
    result = transition(
        status=status,
        kind=kind,
        action=action,
        role="admin",
        payload=payload if payload is not None else GOOD_PAYLOAD[Action(action)],
    )
    assert result.status == expected


# One representative mistake from every status, with the message a person would read.
ILLEGAL = [
    ("registered", "complaint", "close", "clerk", "cannot close a case that has not been revisited"),
    ("accepted", "complaint", "start", "inspector", "cannot start a case that has not been dispatched"),
    ("rejected", "complaint", "accept", "clerk", "the case was rejected; nothing more can be done to it"),
    (
        "dispatched",
        "complaint",
        "reply",
        "inspector",
        "cannot reply on a case whose handling has not started",
    ),
    ("in_progress", "complaint", "revisit", "clerk", "cannot revisit a case that has not been replied to"),
    (
        "rectification",
        "complaint",
        "rectify",
        "inspector",
        "cannot order rectification when the case is under rectification; only when it is in progress",
    ),
    ("replied", "complaint", "close", "clerk", "cannot close a case that has not been revisited"),
    (
        "revisited",
        "complaint",
        "dispatch",
        "chief",
        "cannot dispatch when the case is revisited; only when it is accepted or dispatched",
    ),
    ("closed", "complaint", "revisit", "clerk", "the case is closed; nothing more can be done to it"),
    ("closed", "consultation", "answer", "clerk", "the case is closed; nothing more can be done to it"),
    ("returned", "complaint", "accept", "clerk",
     "the case was returned to the platform that dispatched it; nothing more can be done to it here"),
    ("transferred", "complaint", "dispatch", "chief",
     "the case was transferred to another department; nothing more can be done to it here"),
    ("accepted", "complaint", "return", "clerk", "cannot return a case that is already accepted"),
    ("registered", "complaint", "cohandle", "chief", "cannot add a co-handling body before the case is accepted"),
    ("replied", "complaint", "transfer", "chief",
     "cannot transfer when the case is replied; only when it is registered or accepted or dispatched or "
     "in progress or under rectification"),
]


@pytest.mark.parametrize(("status", "kind", "action", "role", "reason"), ILLEGAL)
def test_an_illegal_step_from_every_status_is_refused_with_a_readable_reason(
    status, kind, action, role, reason
):
    with pytest.raises(IllegalTransition) as refused:
        transition(status=status, kind=kind, action=action, role=role, payload=GOOD_PAYLOAD[Action(action)])
    assert refused.value.reason == reason
    assert not isinstance(refused.value, RoleNotAllowed)


def test_illegal_steps_cover_every_status():
    assert {row[0] for row in ILLEGAL} == set(Status)


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("inspector", "dispatch", "accepted"),
        ("inspector", "accept", "registered"),
        ("inspector", "close", "revisited"),
        ("inspector", "extend", "dispatched"),
        ("clerk", "dispatch", "accepted"),
        ("clerk", "start", "dispatched"),
        ("clerk", "extend", "dispatched"),
        ("chief", "accept", "registered"),
        ("chief", "revisit", "replied"),
        ("chief", "close", "revisited"),
        ("planner", "start", "dispatched"),
        ("planner", "answer", "registered"),
    ],
)
def test_roles_are_refused_actions_that_are_not_theirs(role, action, status):
    with pytest.raises(RoleNotAllowed) as refused:
        transition(
            status=status, kind="complaint", action=action, role=role, payload=GOOD_PAYLOAD[Action(action)]
        )
    assert refused.value.reason == f"role {role} may not {action}"


def test_role_refusal_is_an_illegal_transition_and_a_value_error():
    with pytest.raises(IllegalTransition, match="role inspector may not dispatch"):
        transition(
            status="accepted", kind="complaint", action="dispatch", role="inspector", payload={"user_id": 1}
        )
    assert issubclass(RoleNotAllowed, ValueError)


def test_chief_may_also_start_rectify_and_reply():
    assert (
        transition(status="dispatched", kind="complaint", action="start", role="chief").status
        == "in_progress"
    )
    assert (
        transition(
            status="in_progress",
            kind="complaint",
            action="rectify",
            role="chief",
            payload=GOOD_PAYLOAD[Action.rectify],
        ).status
        == "rectification"
    )
    assert (
        transition(
            status="rectification",
            kind="complaint",
            action="reply",
            role="chief",
            payload=GOOD_PAYLOAD[Action.reply],
        ).status
        == "replied"
    )


# ------------------------------------------------------------------ what a step records


def test_reject_requires_one_of_the_three_reasons():
    with pytest.raises(InvalidPayload) as missing:
        transition(status="registered", kind="complaint", action="reject", role="clerk", payload={})
    assert missing.value.field == "reason"
    with pytest.raises(InvalidPayload, match="outside_jurisdiction"):
        transition(
            status="registered",
            kind="complaint",
            action="reject",
            role="clerk",
            payload={"reason": "too_far"},
        )
    result = transition(
        status="registered", kind="complaint", action="reject", role="clerk", payload={"reason": "duplicate"}
    )
    assert result.reject_reason == "duplicate"


def test_dispatch_goes_to_exactly_one_user_or_team():
    to_user = transition(
        status="accepted", kind="complaint", action="dispatch", role="chief", payload={"user_id": 17}
    )
    assert (to_user.assignee.kind, to_user.assignee.id) == ("user", 17)
    to_team = transition(
        status="accepted",
        kind="complaint",
        action="dispatch",
        role="chief",
        payload={"team_id": "noise-squad"},
    )
    assert (to_team.assignee.kind, to_team.assignee.id) == ("team", "noise-squad")
    for payload in ({}, {"user_id": 1, "team_id": 2}):
        with pytest.raises(InvalidPayload):
            transition(status="accepted", kind="complaint", action="dispatch", role="chief", payload=payload)


def test_rectification_carries_its_own_timezone_aware_due_date():
    result = transition(
        status="in_progress",
        kind="complaint",
        action="rectify",
        role="inspector",
        payload={"due_at": "2025-03-01T12:00:00+08:00", "requirement": "close the doors"},
    )
    assert result.rectification_due_at == datetime(2025, 3, 1, 4, tzinfo=UTC)
    assert result.text == "close the doors"
    with pytest.raises(InvalidPayload) as naive:
        transition(
            status="in_progress",
            kind="complaint",
            action="rectify",
            role="inspector",
            payload={"due_at": datetime(2025, 3, 1, 12)},
        )
    assert naive.value.field == "due_at"
    with pytest.raises(InvalidPayload):
        transition(status="in_progress", kind="complaint", action="rectify", role="inspector", payload={})


def test_reply_needs_a_summary_of_what_was_done():
    with pytest.raises(InvalidPayload) as blank:
        transition(
            status="in_progress",
            kind="complaint",
            action="reply",
            role="inspector",
            payload={"summary": "   "},
        )
    assert blank.value.field == "summary"


def test_revisit_needs_a_known_satisfaction():
    with pytest.raises(InvalidPayload) as missing:
        transition(status="replied", kind="complaint", action="revisit", role="clerk", payload={})
    assert missing.value.field == "satisfaction"
    with pytest.raises(InvalidPayload):
        transition(
            status="replied",
            kind="complaint",
            action="revisit",
            role="clerk",
            payload={"satisfaction": "happy"},
        )


def test_a_misspelt_payload_field_is_refused_not_ignored():
    with pytest.raises(InvalidPayload) as typo:
        transition(
            status="registered",
            kind="complaint",
            action="reject",
            role="clerk",
            payload={"reason": "duplicate", "reasn": "x"},
        )
    assert typo.value.field == "reasn"


def test_unknown_status_kind_action_or_role_names_the_field():
    for field, kwargs in [
        ("status", {"status": "reopened"}),
        ("kind", {"kind": "praise"}),
        ("action", {"action": "reopen"}),
        ("role", {"role": "mayor"}),
    ]:
        arguments = {
            "status": "registered",
            "kind": "complaint",
            "action": "accept",
            "role": "clerk",
        } | kwargs
        with pytest.raises(InvalidValue) as unknown:
            transition(**arguments)
        assert unknown.value.field == field


def test_reopened_is_not_a_status():
    assert "reopened" not in {s.value for s in Status}


# ------------------------------------------------------------------ closing and reopening


def test_closing_needs_a_satisfied_or_basically_satisfied_revisit():
    for satisfaction in ("satisfied", "basically_satisfied"):
        revisit = transition(
            status="replied",
            kind="complaint",
            action="revisit",
            role="clerk",
            payload={"satisfaction": satisfaction},
        )
        facts = CaseFacts(last_satisfaction=revisit.satisfaction)
        closed = transition(
            status=revisit.status, kind="complaint", action="close", role="clerk", facts=facts
        )
        assert closed.status == "closed"
    with pytest.raises(IllegalTransition, match="last revisit was unsatisfied"):
        transition(
            status="revisited",
            kind="complaint",
            action="close",
            role="clerk",
            facts=CaseFacts(last_satisfaction=states.Satisfaction.unsatisfied),
        )


def run(steps, *, kind="complaint"):
    """Walk a case through (action, role, payload) steps, keeping its facts as a service would."""
    status, facts, history = Status.registered, CaseFacts(), []
    for action, role, payload in steps:
        result = transition(status=status, kind=kind, action=action, role=role, payload=payload, facts=facts)
        facts = replace(
            facts,
            handling_count=result.handling_count,
            extensions_used=result.extensions_used,
            last_satisfaction=result.satisfaction or facts.last_satisfaction,
        )
        status = result.status
        history.append(result)
    return status, facts, history


def test_unsatisfied_revisit_sends_the_case_back_for_another_handling():
    first_round = [
        ("accept", "clerk", {}),
        ("dispatch", "chief", {"user_id": 5}),
        ("start", "inspector", {}),
        ("reply", "inspector", {"summary": "told the restaurant to clean the hood"}),
        ("revisit", "clerk", {"satisfaction": "unsatisfied"}),
    ]
    status, facts, history = run(first_round)
    reopening = history[-1]
    assert status == "dispatched"
    assert reopening.reopened and reopening.handling_count_increment == 1
    assert reopening.judged_handling == 1
    assert facts.handling_count == 2
    with pytest.raises(IllegalTransition, match="has not been revisited"):
        transition(status=status, kind="complaint", action="close", role="clerk", facts=facts)

    second_round = [
        ("start", "inspector", {}),
        ("rectify", "inspector", {"due_at": DUE}),
        ("reply", "inspector", {"summary": "purifier fitted"}),
        ("revisit", "clerk", {"satisfaction": "satisfied"}),
        ("close", "clerk", {}),
    ]
    status, facts, history = run(first_round + second_round)
    assert status == "closed"
    assert facts.handling_count == 2
    assert history[-2].judged_handling == 2 and not history[-2].reopened


def test_two_unsatisfied_rounds_count_three_handlings():
    round_ = [
        ("start", "inspector", {}),
        ("reply", "inspector", {"summary": "checked"}),
        ("revisit", "clerk", {"satisfaction": "unsatisfied"}),
    ]
    status, facts, _ = run([("accept", "clerk", {}), ("dispatch", "chief", {"user_id": 5})] + round_ * 2)
    assert (status, facts.handling_count) == ("dispatched", 3)


# ------------------------------------------------------------------ extension


def test_one_extension_of_at_most_thirty_days_with_a_reason():
    granted = transition(
        status="in_progress",
        kind="complaint",
        action="extend",
        role="chief",
        payload={"days": 30, "reason": "lab results pending"},
    )
    assert granted.status == "in_progress"
    assert (granted.extension_days, granted.reason, granted.extensions_used) == (30, "lab results pending", 1)

    with pytest.raises(InvalidPayload) as too_long:
        transition(
            status="in_progress",
            kind="complaint",
            action="extend",
            role="chief",
            payload={"days": 31, "reason": "lab results pending"},
        )
    assert too_long.value.field == "days"
    with pytest.raises(InvalidPayload) as no_reason:
        transition(
            status="in_progress", kind="complaint", action="extend", role="chief", payload={"days": 10}
        )
    assert no_reason.value.field == "reason"


def test_a_second_extension_is_refused():
    with pytest.raises(IllegalTransition, match="a second extension is not allowed"):
        transition(
            status="dispatched",
            kind="complaint",
            action="extend",
            role="chief",
            payload={"days": 5, "reason": "again"},
            facts=CaseFacts(extensions_used=1),
        )


def test_extension_only_while_the_complaint_is_open():
    with pytest.raises(IllegalTransition, match="before it is accepted"):
        transition(
            status="registered",
            kind="complaint",
            action="extend",
            role="chief",
            payload=GOOD_PAYLOAD[Action.extend],
        )
    for done in ("closed", "rejected"):
        with pytest.raises(IllegalTransition, match="nothing more can be done"):
            transition(
                status=done,
                kind="complaint",
                action="extend",
                role="chief",
                payload=GOOD_PAYLOAD[Action.extend],
            )


# ------------------------------------------------------------------ consultations and suggestions


def test_consultation_is_answered_and_closed_without_inspection():
    status, _, history = run(
        [("answer", "clerk", {"answer": "call 12369 for noise at night"})], kind="consultation"
    )
    assert status == "closed"
    assert history[0].text == "call 12369 for noise at night"


@pytest.mark.parametrize("action", ["accept", "dispatch", "start", "extend"])
def test_consultation_does_not_enter_the_inspection_workflow(action):
    role = "chief" if action in ("dispatch", "extend") else "clerk" if action == "accept" else "inspector"
    with pytest.raises(IllegalTransition, match="answered, not inspected"):
        transition(
            status="registered",
            kind="consultation",
            action=action,
            role=role,
            payload=GOOD_PAYLOAD[Action(action)],
        )


def test_a_complaint_cannot_be_answered_directly():
    with pytest.raises(IllegalTransition, match="not answered directly"):
        transition(
            status="registered",
            kind="complaint",
            action="answer",
            role="clerk",
            payload=GOOD_PAYLOAD[Action.answer],
        )


def test_an_answer_must_say_something():
    with pytest.raises(InvalidPayload) as empty:
        transition(status="registered", kind="suggestion", action="answer", role="clerk", payload={})
    assert empty.value.field == "answer"


# ------------------------------------------------------------------ allowed actions for UIs


def test_allowed_actions_for_typical_screens():
    assert states.allowed_actions("registered", "complaint", "clerk") == (Action.accept, Action.reject,
                                                                          Action.return_)
    assert states.allowed_actions("dispatched", "complaint", "chief") == (
        Action.dispatch,
        Action.start,
        Action.extend,
        Action.transfer,
        Action.handover,
        Action.cohandle,
    )
    assert states.allowed_actions("dispatched", "complaint", "chief", facts=CaseFacts(extensions_used=1)) == (
        Action.dispatch,
        Action.start,
        Action.transfer,
        Action.handover,
        Action.cohandle,
    )
    assert states.allowed_actions("in_progress", "complaint", "inspector") == (Action.rectify, Action.reply)
    assert states.allowed_actions("rectification", "complaint", "inspector") == (Action.reply,)
    assert states.allowed_actions("rectification", "complaint", "inspector",
                                  facts=CaseFacts(rectification_unchecked=True)) == ()
    assert states.allowed_actions("registered", "consultation", "clerk") == (Action.reject, Action.answer,
                                                                             Action.return_)
    assert states.allowed_actions("registered", "consultation", "chief") == (Action.transfer,)
    assert states.allowed_actions("returned", "complaint", "admin") == ()
    assert states.allowed_actions("transferred", "complaint", "admin") == ()
    assert states.allowed_actions("registered", "complaint", "inspector") == ()
    assert states.allowed_actions("closed", "complaint", "admin") == ()
    assert states.allowed_actions("dispatched", "complaint", "planner") == ()


@pytest.mark.parametrize("kind", ["complaint", "consultation"])
@pytest.mark.parametrize("role", list(states.Role))
@pytest.mark.parametrize("status", list(Status))
def test_allowed_actions_agrees_with_transition(status, role, kind):
    allowed = states.allowed_actions(status, kind, role)
    for action in Action:
        if action in allowed:
            transition(status=status, kind=kind, action=action, role=role, payload=GOOD_PAYLOAD[action])
        else:
            with pytest.raises(IllegalTransition):
                transition(status=status, kind=kind, action=action, role=role, payload=GOOD_PAYLOAD[action])


def test_only_a_closed_complaint_case_is_reopened_by_a_later_repeat():
    from datetime import UTC, datetime, timedelta

    from ecogrid.cases.states import CaseFacts, reopen_on_repeat

    closed_at = datetime(2026, 11, 1, tzinfo=UTC)
    later, earlier = closed_at + timedelta(days=3), closed_at - timedelta(hours=1)
    step = reopen_on_repeat(status="closed", kind="complaint", facts=CaseFacts(handling_count=2), rework_count=0,
                            closed_at=closed_at, received_at=later)
    assert step is not None and (step.status.value, step.handling_count, step.rework_count) == ("accepted", 3, 1)
    for status, kind, received in (("closed", "complaint", earlier), ("dispatched", "complaint", later),
                                   ("replied", "complaint", later), ("closed", "consultation", later),
                                   ("rejected", "complaint", later)):
        assert reopen_on_repeat(status=status, kind=kind, facts=CaseFacts(), rework_count=0, closed_at=closed_at,
                                received_at=received) is None, (status, kind)


def test_a_reply_during_an_unchecked_rectification_is_refused_until_a_follow_up_inspection():
    with pytest.raises(IllegalTransition) as refused:
        transition(status="rectification", kind="complaint", action="reply", role="inspector",
                   payload=GOOD_PAYLOAD[Action.reply], facts=CaseFacts(rectification_unchecked=True))
    assert "复查" in refused.value.reason and "follow-up inspection" in refused.value.reason
    step = transition(status="rectification", kind="complaint", action="reply", role="inspector",
                      payload=GOOD_PAYLOAD[Action.reply], facts=CaseFacts(rectification_unchecked=False))
    assert step.status is Status.replied


def test_a_return_needs_a_reason_code_and_a_note():
    with pytest.raises(states.InvalidPayload) as missing:
        transition(status="registered", kind="complaint", action="return", role="clerk",
                   payload={"reason": "outside_function"})
    assert missing.value.field == "note"
    with pytest.raises(states.InvalidPayload) as unknown:
        transition(status="registered", kind="complaint", action="return", role="clerk",
                   payload={"reason": "too_far", "note": "x"})
    assert unknown.value.field == "reason"
    step = transition(status="registered", kind="complaint", action="return", role="clerk",
                      payload=GOOD_PAYLOAD[Action.return_])
    assert step.status is Status.returned and step.return_reason == "outside_territory"


def test_a_transfer_names_a_department_and_why():
    with pytest.raises(states.InvalidPayload) as missing:
        transition(status="accepted", kind="complaint", action="transfer", role="chief", payload={"reason": "x"})
    assert missing.value.field == "department_id"
    step = transition(status="in_progress", kind="complaint", action="handover", role="chief",
                      payload=GOOD_PAYLOAD[Action.handover])
    assert (step.status, step.department_id, step.reason) == (Status.transferred, 4, "social-life noise at night")
    joined = transition(status="in_progress", kind="complaint", action="cohandle", role="chief",
                        payload=GOOD_PAYLOAD[Action.cohandle])
    assert (joined.status, joined.department_id) == (Status.in_progress, 5)


def test_a_case_that_did_not_come_from_a_platform_is_not_returned():
    with pytest.raises(IllegalTransition) as refused:
        transition(status="registered", kind="complaint", action="return", role="clerk",
                   payload=GOOD_PAYLOAD[Action.return_], facts=CaseFacts(from_platform=False))
    assert "dispatching platform" in refused.value.reason
    assert Action.return_ not in states.allowed_actions("registered", "complaint", "clerk",
                                                        facts=CaseFacts(from_platform=False))
