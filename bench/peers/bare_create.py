# ruff: noqa  (a verbatim copy of ../shared/peers/bare_create.py, the floor; keep it so)
"""A bare Flask + SQLAlchemy Core create endpoint: the framework floor for POST /api/v1/cases on this machine."""
import json, os, secrets
from datetime import datetime, timezone
from flask import Flask, request, jsonify, abort
from sqlalchemy import create_engine, MetaData, Table, Column, BigInteger, String, Text, DateTime, Integer, insert

engine = create_engine(os.environ["PEER_DB"], pool_size=10, max_overflow=10)
md = MetaData()
cases = Table("peer_case", md, Column("id", BigInteger, primary_key=True), Column("number", String(20)),
              Column("query_code", String(8)), Column("channel", String(20)), Column("title", String(200)),
              Column("content", Text), Column("address", String(300)), Column("citizen_name", String(100)),
              Column("citizen_phone", String(40)), Column("category", String(40)), Column("department", String(40)),
              Column("status", String(20)), Column("version", Integer), Column("created_at", DateTime(timezone=True)))
events = Table("peer_event", md, Column("id", BigInteger, primary_key=True), Column("case_id", BigInteger),
               Column("action", String(30)), Column("at", DateTime(timezone=True)), Column("note", Text))
md.create_all(engine)
app = Flask(__name__)
TOKENS = {os.environ.get("PEER_TOKEN", "t")}


@app.post("/api/v1/cases")
def create():
    if request.headers.get("Authorization", "")[7:] not in TOKENS:
        abort(401)
    d = request.get_json()
    if not isinstance(d, dict) or not str(d.get("content", "")).strip():
        abort(422)
    now = datetime.now(timezone.utc)
    c = d.get("citizen") or {}
    with engine.begin() as conn:
        cid = conn.execute(insert(cases).returning(cases.c.id), dict(
            number=now.strftime("%Y%m%d") + secrets.token_hex(3), query_code=f"{secrets.randbelow(10**6):06d}",
            channel=d.get("channel", "phone"), title=d.get("title"), content=d["content"], address=d.get("address"),
            citizen_name=c.get("name"), citizen_phone=c.get("phone"), category=d.get("category"),
            department=d.get("department"), status="dispatched" if d.get("department") else "registered",
            version=1, created_at=now)).scalar_one()
        conn.execute(insert(events), [dict(case_id=cid, action="register", at=now),
                                      dict(case_id=cid, action="dispatch", at=now)])
    return jsonify(id=cid, status="registered"), 201
