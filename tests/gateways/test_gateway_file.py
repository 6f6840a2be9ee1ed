"""FileGateway, the message type and the error types."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotline.gateways import (
    FileGateway,
    Gateway,
    GatewayError,
    OutboundMessage,
    PermanentGatewayError,
)


def message(**overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "id": 3,
        "channel": "sms",
        "recipient": "13812341234",
        "subject": None,
        "body": "【12345热线】您的诉求已受理，工单号 20261124-0001。",
        "idempotency_key": "receipt-3",
        "template": "receipt",
        "data": {"case_number": "20261124-0001"},
    }
    fields.update(overrides)
    return OutboundMessage(**fields)


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_writes_one_json_line_per_message(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    gateway = FileGateway(tmp_path / "outbox", clock=fixed_clock(moment))
    assert gateway.send(message()) == "file:receipt-3"
    gateway.send(message(id=4, channel="console", idempotency_key="survey-4"))
    path = tmp_path / "outbox" / "outbox-20261124.jsonl"
    first, second = read_lines(path)
    assert first == {
        "written_at": "2026-11-24T03:00:00+00:00",
        "provider_id": "file:receipt-3",
        "id": 3,
        "channel": "sms",
        "recipient": "13812341234",
        "subject": None,
        "body": "【12345热线】您的诉求已受理，工单号 20261124-0001。",
        "idempotency_key": "receipt-3",
        "template": "receipt",
        "data": {"case_number": "20261124-0001"},
    }
    assert second["id"] == 4 and second["channel"] == "console"
    assert "【12345热线】" in path.read_text(encoding="utf-8")  # readable, not \\u escapes


def test_file_is_named_by_local_date(tmp_path: Path) -> None:
    # 16:30 UTC on the 24th is already the 25th in Shanghai.
    moment = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    FileGateway(tmp_path, clock=fixed_clock(moment)).send(message())
    assert [p.name for p in tmp_path.iterdir()] == ["outbox-20261125.jsonl"]
    FileGateway(tmp_path / "utc", tz="UTC", clock=fixed_clock(moment)).send(message())
    assert (tmp_path / "utc" / "outbox-20261124.jsonl").exists()


def test_log_line_masks_the_phone_number(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.gateways"):
        FileGateway(tmp_path).send(message())
    assert "138****1234" in caplog.text
    assert "13812341234" not in caplog.text
    assert "工单号" not in caplog.text  # the body stays out of logs


@pytest.mark.parametrize(
    ("recipient", "shown", "hidden"),
    [
        ("citizen@example.com", "c***@example.com", "citizen@"),
        ("oABCD1234openid5678", "oABC****5678", "1234openid"),
    ],
)
def test_log_line_masks_other_recipients(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, recipient: str, shown: str, hidden: str
) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.gateways"):
        FileGateway(tmp_path).send(message(recipient=recipient))
    assert shown in caplog.text
    assert hidden not in caplog.text


def test_unwritable_directory_is_a_retryable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(GatewayError, match="cannot write") as caught:
        FileGateway(blocker).send(message())
    assert not isinstance(caught.value, PermanentGatewayError)


def test_non_json_data_is_written_as_text(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    gateway = FileGateway(tmp_path, clock=fixed_clock(moment))
    gateway.send(message(data={"due": moment}))
    [line] = read_lines(tmp_path / "outbox-20261124.jsonl")
    assert line["data"] == {"due": "2026-11-24 03:00:00+00:00"}


def test_file_gateway_is_a_gateway(tmp_path: Path) -> None:
    assert isinstance(FileGateway(tmp_path), Gateway)


# --- OutboundMessage and errors -------------------------------------------------------------


@pytest.mark.parametrize("channel", ["sms", "wechat", "email", "console"])
def test_message_channels(channel: str) -> None:
    assert message(channel=channel).channel == channel


@pytest.mark.parametrize(("field", "value"), [("channel", "fax"), ("idempotency_key", "")])
def test_message_rejects_bad_values(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field.split("_")[0]):
        message(**{field: value})


def test_message_defaults_and_hashing() -> None:
    msg = OutboundMessage(1, "sms", "13812341234", None, "hi", "k-1")
    assert msg.template is None and msg.data == {}
    assert hash(msg) == hash(OutboundMessage(1, "sms", "13812341234", None, "hi", "k-1"))
    assert hash(message()) == hash(message())  # data is left out of the hash


def test_error_hierarchy() -> None:
    assert issubclass(PermanentGatewayError, GatewayError)
    assert GatewayError("busy", retry_after=5).retry_after == 5
    assert PermanentGatewayError("no").retry_after is None
