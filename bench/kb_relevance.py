"""Relevance of the knowledge-base search, measured on the demo base.

Each question below is written the way callers speak (dialect, no official terms) and names
the demo article that answers it; none shares a word with that article's title (checked
below with the same tokenizer). The script reports how often the right article is among the
top 3 results, with the built-in synonym list and without it.

    .venv/bin/python bench/kb_relevance.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.segment import tokenize  # noqa: E402
from hotline.demo.kb import demo_articles  # noqa: E402
from hotline.services.kb.index import Doc, KbIndex  # noqa: E402
from hotline.services.kb.search import DEFAULT_SYNONYMS  # noqa: E402

QUESTIONS = (
    ("我才在高新区按揭了一套房，账户里头那笔钱可以拿出来不", "fund_withdraw_buy"),
    ("单位每个月帮我存的那笔房子钱，交首付能用不", "fund_withdraw_buy"),
    ("每个月房租好贵，单位交的那个钱能拿来付不", "fund_withdraw_rent"),
    ("我辞工了要回老家，之前那个账户里的钱咋个弄", "fund_withdraw_leave"),
    ("想按揭买房，用单位交的那个钱最多能借好多", "fund_loan"),
    ("我是外地来打工的，在这边要登记个啥子证才能办事", "residence_permit_apply"),
    ("暂住证咋个弄", "residence_permit_apply"),
    ("那个证一年了要不要去续一下", "residence_permit_renew"),
    ("娃娃刚生下来，要去派出所办啥子手续", "newborn_hukou"),
    ("宝宝出生了，落户要带啥子", "newborn_hukou"),
    ("刚生的小孩子生病住院能不能报", "newborn_insurance"),
    ("医保卡搞掉了咋办", "medical_card_lost"),
    ("我妈在老家住院，用这边的卡能直接结算不", "medical_reimburse_other_city"),
    ("我爸满六十了，每个月的钱咋个领", "pension_collect"),
    ("我爸这个月退休金没到账，说是要刷脸", "pension_certification"),
    ("公司把我开了，国家有没有啥子补贴", "unemployment_benefit"),
    ("包工头拖起不给钱，快过年了", "wage_arrears_report"),
    ("老板跑路了几个月没发钱找哪个", "wage_arrears_report"),
    ("孩子明年该读书了，租房子的能去学校不", "school_enrolment"),
    ("新买的房子要用煤气，找哪个来装表", "gas_open"),
    ("厨房头有股臭鸡蛋味道，是不是漏气了", "gas_leak"),
    ("屋头煤气味好大哦", "gas_leak"),
    ("气表卡头没钱了在哪充", "gas_pay"),
    ("从早上到现在水龙头都放不出水", "water_outage"),
    ("这个月自来水的账单咋个涨了这么多", "water_bill"),
    ("整栋楼都黑了，空调也开不了", "power_outage"),
    ("开车闯了红灯，收到罚单了咋个处理", "traffic_fine_pay"),
    ("违章扣分在手机上能弄不", "traffic_fine_pay"),
    ("驾照下个月就不能用了", "driving_licence_renew"),
    ("的士师傅故意绕路多收我钱", "taxi_complaint"),
    ("网约车拒载了打哪个电话", "taxi_complaint"),
    ("我七十岁了坐公交车要钱不", "bus_card"),
    ("身份证掉了去哪补", "id_card_apply"),
    ("我们要去扯结婚证，要带啥子", "marriage_registration"),
    ("我奶奶八十五了，政府有没有补助", "elderly_subsidy"),
    ("家里实在困难，能不能吃低保", "low_income_aid"),
    ("半夜两点隔壁工地还在打桩", "noise_night"),
    ("路口天天有人摆摊卖菜，车都过不去", "street_vending_rules"),
    ("过期的药丢哪个桶", "garbage_sorting"),
    ("我们那条街晚上黑黢黢的，灯坏了好久了", "streetlight_broken"),
    ("小区管理的收了钱啥子都不管", "property_fee"),
    ("网上买的衣服不给退", "consumer_refund"),
    ("在馆子吃了饭回来就拉肚子", "food_safety_report"),
    ("娃娃打疫苗要先约吗", "vaccination"),
    ("华西的号根本抢不到", "hospital_appointment"),
    ("研究生毕业了想把户口迁过来", "hukou_move_in"),
    ("跟团去九寨沟被拉到店里头逼到买东西", "tourism_complaint"),
)


def title_overlap() -> list[tuple[str, str, set[str]]]:
    """Questions that share a word with their article's title (should be none)."""
    titles = {a["key"]: set(tokenize(a["title"])) for a in demo_articles()}
    return [(q, key, set(tokenize(q)) & titles[key]) for q, key in QUESTIONS
            if set(tokenize(q)) & titles[key]]


def hits_at_3(index: KbIndex, synonyms) -> tuple[int, list[str]]:
    """How many questions find their article in the top 3, and the ones that miss."""
    hits, misses = 0, []
    for question, key in QUESTIONS:
        top = [h.doc.extra["key"] for h in index.search(question, synonyms=synonyms, limit=3)]
        if key in top:
            hits += 1
        else:
            misses.append(f"  {question} → {key}; got {top}")
    return hits, misses


def main() -> None:
    """Print hits in the top 3, before and after synonyms, with the misses."""
    docs = [Doc(id=i, title=a["title"], questions=a["questions"], answer=a["answer"],
                tags=a.get("tags", ()), extra={"key": a["key"]})
            for i, a in enumerate(demo_articles(), start=1)]
    overlap = title_overlap()
    for question, key, words in overlap:
        print(f"shares title words {sorted(words)}: {question} → {key}")
    variants = {q for a in demo_articles() for q in a["questions"]}
    verbatim = [q for q, _ in QUESTIONS if q in variants]
    print(f"{len(QUESTIONS)} questions, {len(overlap)} share a title word, "
          f"{len(verbatim)} copy a question variant")
    index = KbIndex(docs)
    n = len(QUESTIONS)
    for name, synonyms in (("without synonyms", ()), ("with synonyms", DEFAULT_SYNONYMS)):
        hits, misses = hits_at_3(index, synonyms)
        print(f"{name}: {hits}/{n} in the top 3 ({hits / n:.0%})")
        for line in misses:
            print(line)
    words_only = KbIndex(docs, pairs=False)
    hits, _ = hits_at_3(words_only, DEFAULT_SYNONYMS)
    print(f"with synonyms, words only (no character pairs): {hits}/{n} ({hits / n:.0%})")


if __name__ == "__main__":
    main()
