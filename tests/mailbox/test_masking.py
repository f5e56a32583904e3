"""Masking on publication: 32 realistic letters; after publication no page or API response has the writer's
phone, ID number or name."""

import random

from tests.mailbox import factories
from tests.support import staff_headers

NAMES = ["张小明", "李建国", "王秀英", "刘洋", "陈静", "杨帆", "赵丽华", "黄志强", "周敏", "吴海燕", "徐磊", "孙桂兰",
         "胡军", "朱红梅", "高峰", "林晓东", "何丽", "郭建华", "马俊", "罗玉兰", "梁伟", "宋佳", "郑国庆", "谢芳",
         "韩冰", "唐志刚", "冯雪", "于海洋", "董春燕", "欧阳明辉", "司马晓丽", "萧红"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(rng: random.Random) -> str:
    first = f"{rng.choice(['110101', '310104', '440305', '510107'])}{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first + "10X98765432"[sum(int(d) * w for d, w in zip(first, WEIGHTS)) % 11]


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


SENTENCES = [
    "我叫{name}，住在幸福路12号院3单元，联系电话{phone}。",
    "本人{name}（身份证号{id}），反映小区供暖不热的问题，电话：{phone_spaced}。",
    "我是{name}，手机{phone}，身份证{id}，请尽快处理。",
    "联系人：{name}，电话 {phone_dashed}，邮箱{email}。",
    "{name}反映：家门口道路破损多年无人修，我的电话是{phone}，身份证号码是{id}。",
]


def realistic_letters(count: int = 32) -> list[dict]:
    rng = random.Random(20261126)
    letters = []
    for index in range(count):
        name = NAMES[index % len(NAMES)]
        phone, number = mobile(rng), id_number(rng)
        values = {"name": name, "phone": phone, "id": number, "email": f"user{index}@example.com",
                  "phone_spaced": f"{phone[:3]} {phone[3:7]} {phone[7:]}", "phone_dashed": f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"}
        body = SENTENCES[index % len(SENTENCES)].format(**values) + "希望有关部门重视，谢谢！"
        letters.append({"name": name, "phone": phone, "id": number, "subject": f"{name}反映的问题{index}",
                        "body": body, "reply": f"{name}您好：来信收悉，已转交相关单位，如有疑问请拨打12345。"})
    return letters


async def test_published_letters_never_show_the_writers_phone_id_number_or_name(client, cast):
    letters = realistic_letters()
    writer = await factories.citizen("13700001111")
    numbers = []
    for index, letter in enumerate(letters):
        if index:  # one citizen may write only 2 letters a minute (engagement.limits): the others write the rest
            writer = await factories.citizen(f"1370001{index:04d}")
        numbers.append(await factories.published_letter(cast, writer=writer, subject=letter["subject"],
                                                        body=letter["body"], name=letter["name"],
                                                        reply=letter["reply"], department="fgw"))
    pages = ["/mailbox", "/mailbox/search", "/mailbox/search?q=反映", "/mailbox/digest",
             "/api/v1/letters?page_size=100", "/api/v1/letters?q=反映&page_size=100", "/api/v1/letters/statistics"]
    pages += [f"/mailbox/letters/{number}" for number in numbers] + [f"/api/v1/letters/{number}" for number in numbers]
    pages += [f"/api/v1/letters/suggestions?subject={letter['subject']}" for letter in letters[:5]]
    texts = []
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        texts.append((path, response.text))
    # The published text was masked, not dropped.
    listed = (await client.get("/api/v1/letters?page_size=100")).json()
    assert listed["total"] == len(letters)
    assert any("****" in item["body"] for item in listed["items"])
    for letter in letters:
        secrets = [letter["name"], letter["phone"], letter["id"], letter["phone"][3:7] + letter["phone"][7:],
                   letter["id"][6:14] + letter["id"][14:], "13700001111"]
        for path, text in texts:
            compact = text.replace(" ", "").replace("-", "")
            for secret in secrets:
                assert secret not in compact, f"{secret!r} appears on {path}"


async def test_staff_review_the_masked_version_and_their_edits_are_masked_too(client, cast):
    submitted = await factories.letter(name="李建国", body="我叫李建国，电话13912345678，身份证110101199003071234。")
    number = submitted.letter["tracking_number"]
    admin = await staff_headers(client, cast.admin)
    await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "李建国您好：已处理。"}, headers=admin)
    draft = (await client.get(f"/api/v1/letters/{number}/publication", headers=admin)).json()
    assert "李建国" not in draft["body"] and "13912345678" not in draft["body"] and "李*国" in draft["body"]
    assert set(draft["findings"]["body"]) >= {"name", "mobile"}
    edited = await client.post(f"/api/v1/letters/{number}/publish", headers=admin,
                               json={"body": "来信人李建国反映，电话13912345678。", "subject": "供暖问题"})
    assert edited.status_code == 200
    public = (await client.get(f"/api/v1/letters/{number}")).json()
    assert public["subject"] == "供暖问题"
    assert "李建国" not in public["body"] and "13912345678" not in public["body"]
