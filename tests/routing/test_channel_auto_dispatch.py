"""Chat and mailbox channels have no agent on the line: a confident suggestion dispatches
their case at once, through the real gateways and the starter model."""

from __future__ import annotations

import pytest

from hotline.extensions import db
from hotline.models import Case
from tests.intake.conftest import (
    SMS_SECRET,
    WECHAT_TOKEN,
    post_sms,
    post_wechat,
    sms_body,
    wechat_text,
)

VENDING = "锦江区书院街路口每天早上都有人占道摆摊卖菜，车都开不过去，城管也不来管"


@pytest.fixture
def gateways(app, active_model):
    app.config.update(SMS_SECRET=SMS_SECRET, WECHAT_TOKEN=WECHAT_TOKEN)
    return app


def only_case() -> Case:
    db.session.expire_all()
    [case] = db.session.query(Case).all()
    return case


def test_a_confident_sms_is_dispatched_at_once(client, gateways):
    assert post_sms(client, sms_body(text=VENDING)).status_code == 200
    case = only_case()
    assert (case.channel.value, case.status.value) == ("sms", "dispatched")
    assert case.department.code == "JINJIANG"  # 属地: the district of the street named


def test_a_confident_wechat_message_is_dispatched_at_once(client, gateways):
    assert post_wechat(client, wechat_text(VENDING)).status_code == 200
    case = only_case()
    assert (case.channel.value, case.status.value) == ("wechat", "dispatched")


def test_below_the_threshold_an_sms_waits_for_an_agent(client, gateways):
    gateways.config["CLASSIFIER_THRESHOLD"] = 0.999
    vague = "你好，我想反映一个情况，麻烦你们看一下"  # no keyword rule forces a route
    assert post_sms(client, sms_body(text=vague)).status_code == 200
    assert only_case().status.value == "registered"
