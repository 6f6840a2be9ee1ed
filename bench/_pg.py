"""Benchmark database: create ``hotline_bench``, build the schema with the real CLI, and fill it
with realistic cases generated inside PostgreSQL (INSERT ... SELECT over generate_series).

Everything here talks to 127.0.0.1 only. The database ``test`` is never touched.
"""
# ruff: noqa: E501  (a table of Chinese request texts and long SQL lines read better unwrapped)

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from hotline.services.numbering import SEQUENCE_PREFIX

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DB_NAME lets engineers sharing one PostgreSQL keep separate bench databases.
DB_NAME = os.environ.get("BENCH_DB_NAME", "hotline_bench")
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
BENCH_DSN = f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}"
SQLALCHEMY_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
BENCH_REF_PREFIX = "bench:"  # external_ref of cases the create-rate run posts

# ---------------------------------------------------------------- realistic reference text

ADDRESSES = (  # (address, district, street)
    ("锦江区春熙路街道红星路三段", "锦江区", "春熙路街道"),
    ("锦江区春熙路街道总府路", "锦江区", "春熙路街道"),
    ("锦江区书院街街道书院南街", "锦江区", "书院街街道"),
    ("锦江区书院街街道东大街", "锦江区", "书院街街道"),
    ("锦江区牛市口街道静沙路", "锦江区", "牛市口街道"),
    ("锦江区合江亭街道滨江东路", "锦江区", "合江亭街道"),
    ("青羊区少城街道宽巷子", "青羊区", "少城街道"),
    ("青羊区少城街道长顺上街", "青羊区", "少城街道"),
    ("青羊区草市街街道草市街", "青羊区", "草市街街道"),
    ("青羊区府南街道清江东路", "青羊区", "府南街道"),
    ("青羊区光华街道光华大道", "青羊区", "光华街道"),
    ("金牛区抚琴街道抚琴西路", "金牛区", "抚琴街道"),
    ("金牛区抚琴街道营门口路", "金牛区", "抚琴街道"),
    ("金牛区茶店子街道蜀汉路", "金牛区", "茶店子街道"),
    ("金牛区荷花池街道二环路北二段", "金牛区", "荷花池街道"),
    ("武侯区浆洗街街道洗面桥街", "武侯区", "浆洗街街道"),
    ("武侯区玉林街道玉林北路", "武侯区", "玉林街道"),
    ("武侯区玉林街道芳草街", "武侯区", "玉林街道"),
    ("武侯区簇桥街道簇锦北路", "武侯区", "簇桥街道"),
    ("武侯区火车南站街道人民南路四段", "武侯区", "火车南站街道"),
    ("成华区猛追湾街道望平街", "成华区", "猛追湾街道"),
    ("成华区猛追湾街道建设路", "成华区", "猛追湾街道"),
    ("成华区双桥子街道双林路", "成华区", "双桥子街道"),
    ("成华区府青路街道府青路二段", "成华区", "府青路街道"),
    ("成华区建设路街道建设北路", "成华区", "建设路街道"),
)

# category code -> (request type, title, content); {a} is the address
TEXTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "property_mgmt": (
        ("complaint", "小区物业占用消防通道停车", "{a}某小区物业把消防通道划成车位出租，晚上车停满了，"
         "万一着火消防车根本进不来，跟物业反映了几次都不理。"),
        ("complaint", "电梯故障长期不修", "{a}小区7栋电梯坏了两个多星期，物业一直说在等配件，"
         "楼上住的老人下不了楼，物业费照收不误。"),
    ),
    "housing_quality": (
        ("complaint", "新房交付后墙面渗水", "{a}新楼盘去年交房，今年雨季卫生间和外墙一直渗水，"
         "开发商维修了两次还是漏，要求彻底整改。"),
        ("consultation", "商品房网签备案咨询", "请问在{a}买的二手房，网签备案需要准备哪些材料，"
         "在哪里办理，大概要多长时间？"),
    ),
    "demolition": (
        ("help", "拆迁安置房迟迟未交付", "{a}片区拆迁已经三年了，安置房原定去年底交付，"
         "到现在还没有消息，过渡费也停发了，请帮忙问问进度。"),
    ),
    "bus_route": (
        ("suggestion", "建议增开公交线路", "建议增开{a}到火车南站的公交线路，现在早高峰要转两次车，"
         "单程要一个多小时，太不方便了。"),
        ("complaint", "公交车长时间不来", "{a}站点的公交车早上要等四十多分钟，好不容易来一辆还挤不上去，"
         "希望加密班次。"),
    ),
    "taxi": (
        ("complaint", "网约车司机绕路多收费", "昨晚从{a}打网约车回家，司机故意绕路，"
         "平时二十块的路程收了四十多，平台客服不处理。"),
        ("complaint", "出租车拒载", "在{a}路边打车，出租车司机问了目的地之后说不顺路拒载，车牌号已记下。"),
    ),
    "road_facility": (
        ("report", "路面坑洼影响通行", "{a}路段有好几个大坑，下雨天积水看不见，已经有电瓶车摔倒了，"
         "请尽快修补。"),
        ("help", "红绿灯故障", "{a}路口的红绿灯从早上开始一直闪黄灯，车和行人都乱走，很危险。"),
    ),
    "noise": (
        ("complaint", "酒吧夜间噪声扰民", "{a}那个酒吧每天晚上放音乐放到凌晨两点，楼上住户根本睡不着，"
         "打了好几次电话了还是没人管。"),
        ("complaint", "工地夜间施工噪声", "{a}旁边的工地晚上十一点以后还在打桩，噪声很大，"
         "请问有没有夜间施工许可？"),
    ),
    "air_pollution": (
        ("report", "工地夜间焚烧垃圾", "{a}附近有个工地晚上偷偷焚烧垃圾，味道刺鼻，窗户都不敢开。"),
        ("complaint", "餐馆油烟直排", "{a}楼下新开的烧烤店油烟直接排到小区里，没有装油烟净化器。"),
    ),
    "water_pollution": (
        ("report", "河道有污水直排", "{a}附近河道有一根管子往河里排黑水，河水发臭，鱼都死了。"),
    ),
    "wage_arrears": (
        ("help", "工地拖欠农民工工资", "我在{a}的工地上干了三个月活，包工头一直拖起工资不给，"
         "快过年了屋头等到钱用，请帮帮忙。"),
        ("help", "公司拖欠工资", "我在{a}一家公司上班，公司已经两个月没发工资了，老板说资金周转困难。"),
    ),
    "social_insurance": (
        ("consultation", "社保转移接续咨询", "我从外地来成都工作，之前在老家交的社保怎么转过来？"
         "需要本人回去办吗？"),
        ("complaint", "单位未给员工缴纳社保", "{a}一家餐饮公司入职半年都没给我们交社保，要求补缴。"),
    ),
    "medical_insurance": (
        ("consultation", "异地就医备案咨询", "父母医保在老家，来成都看病怎么办理异地就医备案？能直接结算吗？"),
    ),
    "school_enrolment": (
        ("consultation", "小学入学报名材料咨询", "请问今年小学一年级入学报名需要准备哪些材料？"
         "在{a}租房的可以报名吗？"),
        ("complaint", "学位划片不合理", "我们小区在{a}，离对口小学有三公里，旁边的学校却不能读，"
         "希望重新考虑划片。"),
    ),
    "tutoring": (
        ("report", "校外培训机构违规收费", "{a}一家培训机构一次性收了一年的学费，现在机构关门了，老板联系不上。"),
    ),
    "sports_culture": (
        ("suggestion", "建议公园增加健身器材", "{a}附近的公园健身器材太少也太旧，早晚排队，建议增加一些。"),
    ),
    "medical_service": (
        ("complaint", "医院挂号难", "在{a}的医院挂专家号，网上一放号就没了，现场也挂不到，希望改进。"),
        ("complaint", "医生服务态度差", "昨天带孩子去{a}一家医院看急诊，医生态度很差，等了三个小时。"),
    ),
    "public_health": (
        ("consultation", "疫苗接种咨询", "请问{a}附近哪个社区卫生服务中心可以打九价HPV疫苗，怎么预约？"),
    ),
    "consumer_rights": (
        ("complaint", "商家拒不退换货", "在{a}一家店买的衣服，第二天就开线了，商家不给退也不给换，态度还很恶劣。"),
        ("complaint", "健身房卷款跑路", "{a}那家健身房突然关门，办的年卡还剩大半年，老板电话打不通。"),
    ),
    "food_safety": (
        ("report", "餐馆后厨卫生差", "在{a}一家火锅店吃饭后全家拉肚子，看到后厨卫生很差，请查一下。"),
    ),
    "tourism": (
        ("complaint", "旅行团强制购物", "参加的一日游被带到{a}一家玉器店，导游说不买不让走。"),
    ),
    "street_vending": (
        ("complaint", "路口占道经营", "{a}路口每天早上摆摊卖菜的占了半边路，车都开不过去，还到处是垃圾。"),
        ("complaint", "夜市摊贩占道", "{a}晚上夜市摊位摆到人行道上，行人只能走机动车道，很危险。"),
    ),
    "sanitation": (
        ("complaint", "垃圾清运不及时", "{a}垃圾桶满了好几天没人清运，臭气熏天，夏天还招苍蝇。"),
        ("report", "建筑垃圾乱倒", "有人晚上在{a}路边偷倒建筑垃圾，堆了一大堆，占了半条路。"),
    ),
    "illegal_building": (
        ("report", "楼顶违章搭建", "{a}小区顶楼住户在楼顶违章搭建了一个阳光房，压到防水层，楼下漏水。"),
        ("report", "一楼住户私自扩建", "{a}小区一楼住户把院子围起来盖了房子，堵住了消防通道。"),
    ),
    "street_lights": (
        ("help", "路灯不亮", "{a}那一段路灯坏了快一个月了，晚上黑漆漆的，老人孩子走路不安全。"),
        ("help", "井盖缺失", "{a}人行道上有个井盖不见了，只拿了个纸箱盖着，很容易踩空。"),
    ),
    "water_supply": (
        ("help", "小区突然停水", "我们{a}小区从昨天下午开始停水，到现在还没来水，也没有看到停水通知。"),
        ("complaint", "自来水发黄", "{a}小区这几天自来水发黄有异味，不敢喝，请派人来检测一下。"),
    ),
    "power_supply": (
        ("help", "频繁停电", "{a}小区这周已经停了三次电，冰箱里的东西都坏了，也没有提前通知。"),
    ),
    "gas_supply": (
        ("help", "燃气开户咨询", "刚搬到{a}的新家，燃气怎么开户？需要带什么材料？"),
        ("report", "闻到燃气味道", "{a}楼道里有很大的燃气味，不知道哪家漏气，请尽快派人来看。"),
    ),
    "household_reg": (
        ("consultation", "落户办理咨询", "本科毕业生在成都工作，想在{a}落户，需要什么条件和材料？"),
    ),
    "elderly_care": (
        ("consultation", "高龄津贴申请", "家里老人八十岁了，住在{a}，高龄津贴怎么申请？"),
    ),
    "social_assistance": (
        ("help", "低保申请进度", "我在{a}社区申请了低保，已经两个多月了还没有结果，想问问进度。"),
    ),
}

ANSWERS = (
    "经现场核查，已责令相关单位整改，并将持续跟进。感谢您对我们工作的监督。",
    "已联系市民说明情况，相关问题已协调处理完毕。",
    "经核实，该问题已纳入整治计划，预计两周内完成整改，届时将告知市民。",
    "已向市民详细解答相关政策和办理流程，市民表示理解。",
    "执法人员已到现场处置，当事人已整改到位，我们将加强日常巡查。",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"

# Share of cases (per mille) by department code; the rest are resolved by the centre itself.
DEPT_SHARE = {
    "URBAN": 180, "HOUSING": 110, "TRANSPORT": 60, "ECOENV": 60, "HRSS": 55, "MARKET": 55,
    "WATER": 35, "EDU": 30, "HEALTH": 25, "MEDSEC": 15, "PSB": 15, "CIVIL": 15, "CULTURE": 10,
    "NATRES": 10, "GRID": 15, "GAS": 10,
    "JINJIANG": 40, "QINGYANG": 35, "JINNIU": 35, "WUHOU": 40, "CHENGHUA": 35,
    "JINJIANG-CHUNXI": 10, "JINJIANG-SHUYUAN": 10, "QINGYANG-SHAOCHENG": 10,
    "WUHOU-JIANGXI": 10, "CHENGHUA-MENGZHUIWAN": 10, "JINNIU-FUQIN": 10,
}  # sums to 950: 5 % of cases are answered directly by the centre (resolve)
LOCAL_CATEGORIES = ("property_mgmt", "noise", "street_vending", "sanitation", "illegal_building")
CENTRE_CATEGORIES = ("school_enrolment", "social_insurance", "medical_insurance", "household_reg",
                     "elderly_care", "public_health", "housing_quality", "gas_supply")

# Index definitions the bulk load drops and rebuilds (building once is much faster than
# maintaining them row by row); constraint-backed indexes stay.
BULK_TABLES = ("case", "case_event", "citizen")


def log(message: str) -> None:
    print(message, flush=True)


def hotline_env(instance: str, source: Path = ROOT) -> dict[str, str]:
    """The environment of every hotline process the bench starts. ``source`` is the project
    tree to run: the work tree (the editable install) or an exported copy of it, which is
    put first on PYTHONPATH so that ``import hotline`` finds it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATABASE_URL=SQLALCHEMY_URL, HOTLINE_REDIS_URL=REDIS_URL,
               HOTLINE_INSTANCE_PATH=instance)
    if Path(source).resolve() != ROOT:
        env["PYTHONPATH"] = str(source)
    env["BENCH_HOTLINE_SOURCE"] = str(source)  # read by the bench only; hotline never reads it
    return env


def hotline_cli(args: list[str], env: dict[str, str]) -> str:
    exe = Path(sys.executable).with_name("hotline")
    result = subprocess.run([str(exe), *args], env=env, cwd=env["BENCH_HOTLINE_SOURCE"],
                            capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"hotline {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def flush_redis() -> int:
    """Empty the bench's Redis database (db 14): jobs the app enqueued for the cases of earlier
    runs (no worker runs during the bench) would otherwise pile up there."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = client.dbsize()
    client.flushdb()
    client.close()
    return keys


def database_exists() -> bool:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (DB_NAME,)).fetchone() is not None


def case_count() -> int:
    """Cases in the bench database (0 when it or its schema is missing)."""
    if not database_exists():
        return 0
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        has = conn.execute("SELECT to_regclass('public.\"case\"')").fetchone()[0]
        if has is None:
            return 0
        # the planner's estimate is instant; an exact count only when it is close
        return conn.execute('SELECT count(*) FROM "case"').fetchone()[0]


def recreate_database() -> None:
    assert DB_NAME != "test"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,))
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def prepare_schema(env: dict[str, str]) -> None:
    """The schema and demo city through the real CLI, as an operator would."""
    log("  hotline init-db: " + hotline_cli(["init-db"], env).strip().splitlines()[-1])
    log("  hotline seed-demo: " + hotline_cli(["seed-demo"], env).strip().splitlines()[-1])


def remove_bench_cases() -> int:
    """Delete the cases earlier create-rate runs posted, so reruns measure the same data.

    Foreign-key triggers are skipped for this (nothing refers to these cases but their own
    events, deleted first): the self-reference case.merged_into_id has no index, so the
    checks would scan the whole table once per deleted case."""
    with psycopg.connect(BENCH_DSN) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("CREATE TEMP TABLE b_gone ON COMMIT DROP AS SELECT id, citizen_id "
                     'FROM "case" WHERE external_ref LIKE %s', (BENCH_REF_PREFIX + "%",))
        removed = conn.execute("SELECT count(*) FROM b_gone").fetchone()[0]
        if removed:
            conn.execute("DELETE FROM case_event WHERE case_id IN (SELECT id FROM b_gone)")
            conn.execute('DELETE FROM "case" WHERE id IN (SELECT id FROM b_gone)')
            conn.execute("DELETE FROM citizen WHERE id IN (SELECT citizen_id FROM b_gone)")
        conn.commit()
    if removed:
        with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
            conn.execute('VACUUM ANALYZE "case"')
    return removed


# ---------------------------------------------------------------- generation

def _lookups(cur) -> None:
    """Small temporary tables the big INSERT ... SELECTs draw their random choices from."""
    depts = dict(cur.execute("SELECT code, id FROM department").fetchall())
    cats = {code: (cid, dept) for code, cid, dept in cur.execute(
        "SELECT code, id, default_department_id FROM category WHERE default_department_id "
        "IS NOT NULL").fetchall()}
    district_of = dict(cur.execute(
        "SELECT id, district FROM department WHERE district IS NOT NULL").fetchall())

    cur.execute("CREATE TEMP TABLE b_slot (slot int PRIMARY KEY, dept_id int)")
    slots, slot = [], 0
    for code, share in DEPT_SHARE.items():
        for _ in range(share):
            slots.append((slot, depts[code]))
            slot += 1
    while slot < 1000:
        slots.append((slot, None))
        slot += 1
    cur.executemany("INSERT INTO b_slot VALUES (%s, %s)", slots)

    # per department: the categories it handles, each with its texts
    cur.execute("CREATE TEMP TABLE b_text (dept_id int, k int, category_id int, rtype text, "
                "title text, content text, address text, district text, street text, "
                "PRIMARY KEY (dept_id, k))")
    rows = []
    targets = {d: [] for d in list(depts.values()) + [None]}
    for code, (cid, dept) in cats.items():
        for text in TEXTS.get(code, ()):
            targets[dept].append((code, cid, text))
            if code in LOCAL_CATEGORIES:  # 属地: the district governments and street offices
                for did in district_of:
                    targets[did].append((code, cid, text))
            if code in CENTRE_CATEGORIES and text[0] == "consultation":
                targets[None].append((code, cid, text))
    for dept_id, items in targets.items():
        k = 0
        for _code, cid, (rtype, title, content) in items:
            for address, district, street in ADDRESSES:
                if dept_id in district_of and district != district_of[dept_id]:
                    continue
                rows.append((dept_id if dept_id is not None else 0, k, cid, rtype, title,
                             content.format(a=address), address, district, street))
                k += 1
    cur.executemany("INSERT INTO b_text VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
    cur.execute("CREATE TEMP TABLE b_ntext AS SELECT dept_id, count(*)::int AS n "
                "FROM b_text GROUP BY dept_id")

    # who acts for a department: its demo account when there is one, else a named clerk
    cur.execute("""
        CREATE TEMP TABLE b_actor AS
        SELECT d.id AS dept_id, d.code, u.id AS user_id,
               coalesce(u.display_name, d.name || ' 工作人员') AS label
        FROM department d
        LEFT JOIN LATERAL (SELECT id, display_name FROM user_account
                           WHERE department_id = d.id ORDER BY id LIMIT 1) u ON true""")
    cur.execute("CREATE TEMP TABLE b_answer (k int PRIMARY KEY, answer text)")
    cur.executemany("INSERT INTO b_answer VALUES (%s, %s)", list(enumerate(ANSWERS)))
    cur.execute("ANALYZE b_slot; ANALYZE b_text; ANALYZE b_ntext; ANALYZE b_actor; "
                "ANALYZE b_answer")


def _drop_indexes(cur) -> list[str]:
    rows = cur.execute("""
        SELECT i.indexdef, i.indexname FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                       (list(BULK_TABLES),)).fetchall()
    for _def, name in rows:
        cur.execute(f'DROP INDEX "{name}"')
    return [d for d, _ in rows]


INDEX_SESSIONS = 2


def _build_indexes(definitions: list[str]) -> None:
    """Build the dropped indexes after the load, in two sessions at once (GIN ones first: they
    take longest and PostgreSQL 15 builds a GIN index in one process)."""
    from concurrent.futures import ThreadPoolExecutor

    queue = sorted(definitions, key=lambda d: " gin " not in d.lower())

    def build(definition: str) -> None:
        with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            conn.execute(definition)

    with ThreadPoolExecutor(INDEX_SESSIONS) as pool:
        list(pool.map(build, queue))


def generate(n_cases: int, *, days: int = 730) -> dict[str, float]:
    """Add ``n_cases`` cases spread over ``days`` days (ending now) with their citizens and
    event logs; returns timings in seconds per step."""
    timings: dict[str, float] = {}

    def step(name: str, sql: str, params=None) -> None:
        t0 = time.perf_counter()
        cur.execute(sql, params)
        timings[name] = time.perf_counter() - t0
        log(f"    {name:<22} {timings[name]:7.1f} s  ({cur.rowcount if cur.rowcount >= 0 else '-'}"
            " rows)")

    n_citizens = max(1, int(n_cases * 0.7))
    with psycopg.connect(BENCH_DSN) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        cur.execute("SET session_replication_role = replica")  # data is consistent by design
        _lookups(cur)
        index_defs = _drop_indexes(cur)
        agents = cur.execute("SELECT id, display_name FROM user_account WHERE role = 'agent' "
                             "ORDER BY id").fetchall()
        agent_ids = [a[0] for a in agents]
        agent_labels = [a[1] for a in agents]
        case_base = cur.execute('SELECT coalesce(max(id), 0) FROM "case"').fetchone()[0]
        cit_base = cur.execute("SELECT coalesce(max(id), 0) FROM citizen").fetchone()[0]

        step("citizens", """
            INSERT INTO citizen (id, name, phone, contact, created_at)
            SELECT %(base)s + i,
                   CASE WHEN random() < 0.15 THEN NULL
                        ELSE substr(%(surnames)s, 1 + floor(random() * length(%(surnames)s))::int, 1)
                             || (CASE WHEN random() < 0.5 THEN '先生' ELSE '女士' END) END,
                   '1' || (3 + floor(random() * 7))::int
                       || lpad(floor(random() * 1000000000)::bigint::text, 9, '0'),
                   CASE WHEN random() < 0.05 THEN 'o' || md5(i::text) END,
                   now() - make_interval(days => %(days)s) * random()
            FROM generate_series(1, %(n)s) i""",
             {"base": cit_base, "n": n_citizens, "surnames": SURNAMES, "days": days})

        # one row per case with its random draws; created_at rises with g so ids follow time
        step("draws", """
            CREATE TEMP TABLE b_gen AS
            SELECT g, ts, to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') AS day,
                   extract(epoch FROM now() - ts) / 86400.0 AS age,
                   r1, r2, r3, r4, r5, r6, r7, r8
            FROM (SELECT g, now() - make_interval(days => %(days)s)
                            + (make_interval(days => %(days)s) - interval '2 minutes')
                              * ((g - 1 + random()) / %(n)s) AS ts,
                         random() r1, random() r2, random() r3, random() r4, random() r5,
                         random() r6, random() r7, random() r8
                  FROM generate_series(1, %(n)s) g) s""",
             {"n": n_cases, "days": days})

        step("case rows", """
            CREATE TEMP TABLE b_case AS
            SELECT b.*, %(case_base)s + b.g AS id,
                   b.day || lpad((coalesce(cnt.last, 0)
                          + row_number() OVER (PARTITION BY b.day ORDER BY b.g))::text, 6, '0')
                     AS number,
                   s.dept_id,
                   CASE
                     WHEN s.dept_id IS NULL THEN (CASE WHEN b.r3 < 0.1 THEN 'merged' ELSE 'closed' END)
                     WHEN b.age > 45 THEN (CASE WHEN b.r3 < 0.003 THEN 'in_progress'
                                                 WHEN b.r3 < 0.008 THEN 'merged'
                                                 ELSE 'closed' END)
                     WHEN b.age > 10 THEN (CASE WHEN b.r3 < 0.05 THEN 'in_progress'
                                                 WHEN b.r3 < 0.15 THEN 'replied'
                                                 ELSE 'closed' END)
                     WHEN b.age > 3 THEN (CASE WHEN b.r3 < 0.05 THEN 'dispatched'
                                                WHEN b.r3 < 0.45 THEN 'in_progress'
                                                WHEN b.r3 < 0.70 THEN 'replied'
                                                ELSE 'closed' END)
                     ELSE (CASE WHEN b.r3 < 0.5 THEN 'dispatched'
                                WHEN b.r3 < 0.9 THEN 'in_progress'
                                ELSE 'replied' END)
                   END AS status
            FROM b_gen b
            JOIN b_slot s ON s.slot = floor(b.r1 * 1000)::int
            LEFT JOIN (SELECT day, max(last) AS last
                       FROM (SELECT day, last FROM case_number_counter
                             UNION ALL
                             SELECT left(number, 8), right(number, 6)::int FROM "case") known
                       GROUP BY day) cnt ON cnt.day = b.day""",
             {"case_base": case_base})

        step("cases", """
            INSERT INTO "case" (
              id, number, query_code, channel, title, content, address, district, street,
              request_type, urgency, status, category_id, department_id, citizen_id,
              created_by_id, merged_into_id, external_ref, recording_ref, answer, supervised,
              supervise_note, overdue, reopen_count, return_count, extension_days, satisfaction,
              created_at, updated_at, dispatched_at, accepted_at, replied_at, closed_at,
              sign_warn_at, sign_deadline, handle_warn_at, handle_deadline,
              handle_overdue_at, version)
            SELECT c.id, c.number, lpad(floor(c.r8 * 1000000)::int::text, 6, '0'),
                   (ARRAY['phone','phone','phone','phone','phone','phone','phone','wechat',
                          'wechat','mailbox','webchat','sms','email','api'])
                     [1 + floor(c.r5 * 14)::int],
                   t.title, t.content, t.address, t.district, t.street, t.rtype,
                   CASE WHEN c.r6 < 0.03 THEN 'urgent' ELSE 'normal' END,
                   c.status, t.category_id, c.dept_id,
                   CASE WHEN c.r7 < 0.05 THEN NULL
                        ELSE %(cit_base)s + 1 + floor(c.r7 * %(n_cit)s)::int %% %(n_cit)s END,
                   (%(agent_ids)s::int[])[1 + (c.g %% %(n_agents)s)],
                   CASE WHEN c.status = 'merged' AND c.id > %(case_base)s + 1 THEN c.id - 1 END,
                   CASE WHEN c.r5 > 0.85 THEN 'call-' || c.g END,
                   CASE WHEN c.r5 < 0.5 THEN 'rec/' || c.day || '/' || c.g || '.wav' END,
                   CASE WHEN c.status IN ('replied', 'closed') THEN a.answer END,
                   c.r6 > 0.99,
                   CASE WHEN c.r6 > 0.99 THEN '请加快办理并按时反馈' END,
                   CASE WHEN c.status IN ('dispatched', 'in_progress')
                          THEN tm.deadline < now() ELSE c.r6 BETWEEN 0.5 AND 0.53 END,
                   0, 0, 0,
                   CASE WHEN c.status = 'closed' AND c.dept_id IS NOT NULL AND c.r2 < 0.6 THEN
                     (CASE WHEN c.r4 < 0.7 THEN 'satisfied' WHEN c.r4 < 0.95 THEN 'basically_satisfied'
                           ELSE 'not_rated' END) END,
                   c.ts,
                   greatest(c.ts, tm.dispatched, tm.accepted, tm.replied, tm.closed),
                   tm.dispatched, tm.accepted, tm.replied, tm.closed,
                   tm.dispatched + tm.sign * 0.75, tm.dispatched + tm.sign,
                   tm.dispatched + tm.handle * 0.75, tm.dispatched + tm.handle,
                   CASE WHEN c.status = 'in_progress' AND tm.dispatched + tm.handle < now()
                        THEN tm.dispatched + tm.handle END,
                   1 + (tm.dispatched IS NOT NULL)::int + (tm.accepted IS NOT NULL)::int
                     + (tm.replied IS NOT NULL)::int + (tm.closed IS NOT NULL)::int
            FROM b_case c
            JOIN b_ntext nt ON nt.dept_id = coalesce(c.dept_id, 0)
            JOIN b_text t ON t.dept_id = coalesce(c.dept_id, 0)
                         AND t.k = floor(c.r2 * nt.n)::int
            JOIN b_answer a ON a.k = c.g %% 5
            CROSS JOIN LATERAL (SELECT c.ts + least(interval '40 minutes' * c.r4,
                                       make_interval(secs => c.age * 86400 * 0.05)) AS t) t1
            CROSS JOIN LATERAL (SELECT t1.t + least(interval '20 hours' * c.r5,
                                       make_interval(secs => c.age * 86400 * 0.2)) AS t) t2
            CROSS JOIN LATERAL (SELECT t2.t + least(interval '5 days' * c.r7,
                                       make_interval(secs => c.age * 86400 * 0.3)) AS t) t3
            CROSS JOIN LATERAL (SELECT t3.t + least(interval '3 days' * c.r8,
                                       make_interval(secs => c.age * 86400 * 0.3)) AS t) t4
            CROSS JOIN LATERAL (
              SELECT CASE WHEN c.dept_id IS NOT NULL THEN t1.t END AS dispatched,
                     CASE WHEN c.dept_id IS NOT NULL
                           AND c.status IN ('in_progress', 'replied', 'closed') THEN t2.t END
                       AS accepted,
                     CASE WHEN c.dept_id IS NOT NULL AND c.status IN ('replied', 'closed')
                          THEN t3.t END AS replied,
                     CASE WHEN c.dept_id IS NOT NULL AND c.status = 'closed' THEN t4.t
                          WHEN c.status = 'closed' THEN t1.t END AS closed,
                     CASE WHEN c.r6 < 0.03 THEN interval '30 minutes'
                          ELSE interval '1 day' END AS sign,
                     CASE WHEN c.r6 < 0.03 THEN interval '24 hours'
                          WHEN t.rtype = 'suggestion' THEN interval '14 days'
                          WHEN t.rtype IN ('complaint', 'report') THEN interval '7 days'
                          ELSE interval '4 days' END AS handle
            ) tm0
            CROSS JOIN LATERAL (
              SELECT tm0.*, CASE WHEN c.status = 'dispatched' THEN tm0.dispatched + tm0.sign
                                 ELSE tm0.dispatched + tm0.handle END AS deadline
            ) tm
            ORDER BY c.id""",
             {"cit_base": cit_base, "n_cit": n_citizens, "agent_ids": agent_ids,
              "n_agents": len(agent_ids), "case_base": case_base})

        step("events", """
            INSERT INTO case_event (case_id, at, actor_id, actor_label, action, from_status,
                                    to_status, department_id, note, public, data)
            SELECT c.id, e.at, e.actor_id, e.actor_label, e.action, e.from_status, e.to_status,
                   e.department_id, e.note, e.public, e.data::json
            FROM "case" c
            LEFT JOIN b_actor d ON d.dept_id = c.department_id
            LEFT JOIN "case" m ON m.id = c.merged_into_id
            CROSS JOIN LATERAL (VALUES
              (1, c.created_at, c.created_by_id, %(agent_label)s::text, 'register', NULL::text,
               'registered', NULL::int, NULL::text, true,
               '{}', true),
              (2, c.dispatched_at, c.created_by_id, %(agent_label)s::text, 'dispatch', 'registered',
               'dispatched', c.department_id, NULL, true,
               json_build_object('department', d.code)::text, c.dispatched_at IS NOT NULL),
              (3, c.accepted_at, d.user_id, d.label, 'accept', 'dispatched', 'in_progress',
               c.department_id, NULL, true, '{}', c.accepted_at IS NOT NULL),
              (4, c.replied_at, d.user_id, d.label, 'reply', 'in_progress', 'replied',
               c.department_id, c.answer, true, '{}',
               c.replied_at IS NOT NULL AND c.department_id IS NOT NULL),
              (5, c.closed_at, NULL, '市民', 'feedback', 'replied', 'replied', c.department_id,
               NULL, true, json_build_object('satisfaction', c.satisfaction)::text,
               c.satisfaction IS NOT NULL),
              (6, c.closed_at, CASE WHEN c.satisfaction IS NULL THEN c.created_by_id END,
               CASE WHEN c.satisfaction IS NULL THEN %(agent_label)s::text ELSE '市民' END,
               'close', 'replied', 'closed', c.department_id, NULL, true, '{}',
               c.status = 'closed' AND c.department_id IS NOT NULL),
              (7, c.closed_at, c.created_by_id, %(agent_label)s::text, 'resolve', 'registered',
               'closed', NULL, c.answer, true, '{}',
               c.status = 'closed' AND c.department_id IS NULL),
              (8, c.created_at + interval '10 minutes', c.created_by_id, %(agent_label)s::text, 'merge',
               'registered', 'merged', NULL, '重复来电，并入主工单', true,
               json_build_object('into', m.number)::text, c.status = 'merged')
            ) e(seq, at, actor_id, actor_label, action, from_status, to_status, department_id,
                note, public, data, present)
            WHERE c.id > %(case_base)s AND e.present
            ORDER BY e.at, c.id, e.seq""",
             {"agent_label": agent_labels[0], "case_base": case_base})

        step("counters", """
            INSERT INTO case_number_counter (day, last)
            SELECT left(number, 8), max(right(number, 6)::int) FROM "case"
            WHERE id > %(case_base)s GROUP BY 1
            ON CONFLICT (day) DO UPDATE SET last = greatest(case_number_counter.last,
                                                            excluded.last)""",
             {"case_base": case_base})
        # A day's case-number sequence (hotline.services.numbering) that the demo seed already
        # created must continue after the generated numbers of its day, as the counter does.
        for (name,) in cur.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s",
                (SEQUENCE_PREFIX + "%",)).fetchall():
            cur.execute(f'SELECT setval(\'"{name}"\', greatest((SELECT last_value FROM "{name}"), '
                        "(SELECT last FROM case_number_counter WHERE day = %s)))",
                        (name[len(SEQUENCE_PREFIX):],))
        for table in ("case", "citizen", "case_event"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f"(SELECT max(id) FROM \"{table}\"))")
        cur.execute("SET session_replication_role = origin")
        conn.commit()

    t0 = time.perf_counter()
    _build_indexes(index_defs)
    timings["indexes"] = time.perf_counter() - t0
    log(f"    {'indexes':<22} {timings['indexes']:7.1f} s  ({len(index_defs)} rebuilt, "
        f"{INDEX_SESSIONS} sessions)")

    t0 = time.perf_counter()
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - t0
    log(f"    {'vacuum analyze':<22} {timings['vacuum analyze']:7.1f} s")
    return timings


def describe() -> str:
    """A one-paragraph census of the data, to print after generation."""
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        total = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        events = conn.execute("SELECT count(*) FROM case_event").fetchone()[0]
        citizens = conn.execute("SELECT count(*) FROM citizen").fetchone()[0]
        statuses = conn.execute('SELECT status, count(*) FROM "case" GROUP BY 1 '
                                "ORDER BY 2 DESC").fetchall()
        urban = conn.execute("""
            SELECT count(*) FILTER (WHERE c.status IN ('dispatched', 'in_progress')),
                   count(*) FROM "case" c JOIN department d ON d.id = c.department_id
            WHERE d.code = 'URBAN'""").fetchone()
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                            ).fetchone()[0]
    mix = ", ".join(f"{s} {n}" for s, n in statuses)
    return (f"{total} cases ({mix}); {events} events ({events / max(total, 1):.2f}/case); "
            f"{citizens} citizens; URBAN {urban[1]} cases, {urban[0]} open; database {size}")
