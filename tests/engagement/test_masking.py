"""Tests for engagement.masking: personal data found and masked in published text."""

from __future__ import annotations

import dataclasses

import pytest

from engagement.masking import Finding, find_personal_data, mask_name, mask_personal_data, mask_phone

# --- Test data, checked below by helpers written independently of the module ----

ID_BEIJING = "11010519491231002X"  # the GB 11643 example
ID_SHENZHEN = "440304198506151237"
ID_CHENGDU = "510107197809230452"
ID_WUHAN = "420102198811305717"
ID_SHANGHAI = "31011519950512015X"
ID_NANJING_TYPO = "320102199003071235"  # 320102199003071239 with the last digit mistyped
ID_OLD_15 = "110105491231002"

CARD_ICBC = "6222021234567890128"
CARD_CMB = "6225880123456783"
CARD_VISA = "4392250012345673"
CARD_ABC = "6228480012345678903"
CARD_TYPO = "6217001234567890"  # fails Luhn (6217001234567893 is the valid one)


def id_check_char(first_17: str) -> str:
    """GB 11643 check character: weights 2**(17 - i) mod 11."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first_17))
    return "10X98765432"[total % 11]


def luhn_valid(digits: str) -> bool:
    doubled = [int(d) * 2 if i % 2 else int(d) for i, d in enumerate(reversed(digits))]
    return sum(d // 10 + d % 10 for d in doubled) % 10 == 0


@pytest.mark.parametrize("number", [ID_BEIJING, ID_SHENZHEN, ID_CHENGDU, ID_WUHAN, ID_SHANGHAI])
def test_id_numbers_in_the_data_are_valid(number: str) -> None:
    assert id_check_char(number[:17]) == number[17]


def test_mistyped_id_number_fails_the_checksum() -> None:
    assert id_check_char(ID_NANJING_TYPO[:17]) != ID_NANJING_TYPO[17]


@pytest.mark.parametrize("number", [CARD_ICBC, CARD_CMB, CARD_VISA, CARD_ABC])
def test_card_numbers_in_the_data_pass_luhn(number: str) -> None:
    assert luhn_valid(number)


def test_mistyped_card_number_fails_luhn() -> None:
    assert not luhn_valid(CARD_TYPO)


# --- mask_personal_data: sentences as they arrive -------------------------------

MASKED = [
    # names
    pytest.param(
        "我叫王建国，住在幸福小区3栋，电话13912345678，请尽快处理。",
        ["王建国"],
        "我叫王*国，住在幸福小区3栋，电话139****5678，请尽快处理。",
        id="name-and-mobile",
    ),
    pytest.param(
        "市长您好！我是张三，家住光明路88号，小区门口的路灯坏了两个月了。",
        ["张三"],
        "市长您好！我是张*，家住光明路88号，小区门口的路灯坏了两个月了。",
        id="two-character-name",
    ),
    pytest.param(
        "欧阳小明反映：楼上漏水，物业不管。联系人欧阳小明，手机15800001111。",
        ["欧阳小明"],
        "欧**明反映：楼上漏水，物业不管。联系人欧**明，手机158****1111。",
        id="compound-surname-every-occurrence",
    ),
    pytest.param(
        "王建国的儿子王建说，王建国已经投诉三次了。",
        ["王建", "王建国"],
        "王*国的儿子王*说，王*国已经投诉三次了。",
        id="longest-name-first",
    ),
    pytest.param(
        "邻居李秀英和赵铁柱都可以作证。",
        ["李秀英", "赵铁柱"],
        "邻居李*英和赵*柱都可以作证。",
        id="names-given-by-staff",
    ),
    pytest.param(
        "我叫王建国，家住幸福小区。",
        [],
        "我叫王建国，家住幸福小区。",
        id="names-are-only-masked-when-given",
    ),
    # mobile numbers
    pytest.param(
        "联系电话：139 1234 5678（工作日白天）",
        [],
        "联系电话：139 **** 5678（工作日白天）",
        id="mobile-with-spaces",
    ),
    pytest.param(
        "我的手机号是139-1234-5678，晚上也能接。",
        [],
        "我的手机号是139-****-5678，晚上也能接。",
        id="mobile-with-hyphens",
    ),
    pytest.param(
        "在外地工作，请打+86 139 1234 5678联系我。",
        [],
        "在外地工作，请打+86 139 **** 5678联系我。",
        id="mobile-plus86-grouped",
    ),
    pytest.param(
        "短信发到+8613912345678即可。",
        [],
        "短信发到+86139****5678即可。",
        id="mobile-plus86",
    ),
    pytest.param(
        "海外家属电话0086-13912345678。",
        [],
        "海外家属电话0086-139****5678。",
        id="mobile-0086",
    ),
    pytest.param(
        "请联系我（13712345678）。",
        [],
        "请联系我（137****5678）。",
        id="mobile-in-full-width-parentheses",
    ),
    pytest.param(
        "电话：１３９１２３４５６７８，随时联系。",
        [],
        "电话：１３９****５６７８，随时联系。",
        id="mobile-in-full-width-digits",
    ),
    # landlines
    pytest.param(
        "社区居委会电话010-62345678一直没人接。",
        [],
        "社区居委会电话010-****5678一直没人接。",
        id="landline-beijing",
    ),
    pytest.param(
        "单位电话（0755）87654321，白天有人。",
        [],
        "单位电话（0755）****4321，白天有人。",
        id="landline-area-code-in-parentheses",
    ),
    pytest.param(
        "请拨打0571 88776655转123找我。",
        [],
        "请拨打0571 ****6655转123找我。",
        id="landline-extension-zhuan",
    ),
    pytest.param(
        "办公电话021-64567890-8021。",
        [],
        "办公电话021-****7890-8021。",
        id="landline-extension-hyphen",
    ),
    pytest.param(
        "家里座机075587654321。",
        [],
        "家里座机0755****4321。",
        id="landline-without-separator",
    ),
    # ID numbers
    pytest.param(
        f"本人身份证号{ID_BEIJING}，户籍在东城区。",
        [],
        "本人身份证号110105********002X，户籍在东城区。",
        id="id-number-with-x",
    ),
    pytest.param(
        f"身份证：{ID_SHANGHAI.lower()}。",
        [],
        "身份证：310115********015x。",
        id="id-number-lowercase-x",
    ),
    pytest.param(
        f"身份证号码{ID_NANJING_TYPO}（可能写错一位）",
        [],
        "身份证号码320102********1235（可能写错一位）",
        id="id-number-mistyped-check-digit",
    ),
    pytest.param(
        "证件号 440304 19850615 1237",
        [],
        "证件号 440304 ******** 1237",
        id="id-number-grouped",
    ),
    pytest.param(
        "证件号：４４０３０４　１９８５０６１５　１２３７。",
        [],
        "证件号：４４０３０４　********　１２３７。",
        id="id-number-full-width-digits-and-spaces",
    ),
    pytest.param(
        f"身份证号码{ID_CHENGDU}，手机13612345678。",
        [],
        "身份证号码510107********0452，手机136****5678。",
        id="id-number-next-to-mobile",
    ),
    pytest.param(
        f"老身份证号{ID_OLD_15}已经作废。",
        [],
        "老身份证号110105******002已经作废。",
        id="id-number-old-15-digits",
    ),
    # e-mail addresses
    pytest.param(
        "邮箱zhangsan@example.com，盼复。",
        [],
        "邮箱z***@example.com，盼复。",
        id="email",
    ),
    pytest.param(
        "回复请发到123456789@qq.com。",
        [],
        "回复请发到1***@qq.com。",
        id="email-qq",
    ),
    pytest.param(
        "我的邮箱是13912345678@163.com，不是手机号。",
        [],
        "我的邮箱是1***@163.com，不是手机号。",
        id="email-made-of-a-phone-number",
    ),
    pytest.param(
        "E-mail: li.xiuying@mail.gov.cn.",
        [],
        "E-mail: l***@mail.gov.cn.",
        id="email-subdomains-and-full-stop",
    ),
    # bank cards
    pytest.param(
        f"补贴请打到我的工商银行卡{CARD_ICBC}，谢谢。",
        [],
        "补贴请打到我的工商银行卡6222***********0128，谢谢。",
        id="bank-card-19-digits",
    ),
    pytest.param(
        "退款账户：6225 8801 2345 6783（招商银行）",
        [],
        "退款账户：6225 **** **** 6783（招商银行）",
        id="bank-card-grouped-by-spaces",
    ),
    pytest.param(
        "Visa card 4392-2500-1234-5673, thanks.",
        [],
        "Visa card 4392-****-****-5673, thanks.",
        id="bank-card-grouped-by-hyphens",
    ),
    pytest.param(
        "农行卡号6228 4800 1234 5678 903",
        [],
        "农行卡号6228 **** **** ***8 903",
        id="bank-card-19-digits-grouped",
    ),
    pytest.param(
        f"银行卡号：{CARD_TYPO}，开户行建设银行。",
        [],
        "银行卡号：6217********7890，开户行建设银行。",
        id="bank-card-failing-luhn-after-label",
    ),
    # everything at once
    pytest.param(
        f"我叫王建国（身份证{ID_WUHAN}），电话13912345678，邮箱wjg1965@126.com，"
        f"请把补偿款3000元打到银行卡{CARD_ICBC}。",
        ["王建国"],
        "我叫王*国（身份证420102********5717），电话139****5678，邮箱w***@126.com，"
        "请把补偿款3000元打到银行卡6222***********0128。",
        id="every-kind-in-one-letter",
    ),
    pytest.param(
        "对《幸福街道控制性详细规划（草案）》第3.2条的意见：建议在88号地块增加200个停车位。"
        "意见人：李秀英，联系方式13700001111。",
        ["李秀英"],
        "对《幸福街道控制性详细规划（草案）》第3.2条的意见：建议在88号地块增加200个停车位。"
        "意见人：李*英，联系方式137****1111。",
        id="opinion-on-draft-plan",
    ),
    pytest.param(
        "Hi, I'm John Smith, call me at +86 139 1234 5678 or email john.smith@example.org.",
        ["John Smith"],
        "Hi, I'm J*** S****, call me at +86 139 **** 5678 or email j***@example.org.",
        id="english-text",
    ),
    pytest.param(
        "我是Li Wei，在Lisbon留学，Tel:13912345678.",
        ["Li Wei", "Li"],
        "我是L* W**，在Lisbon留学，Tel:139****5678.",
        id="latin-name-not-inside-a-word",
    ),
    # must come back unchanged
    pytest.param("2026年11月26日上午9点，在3号楼会议室召开听证会。", [], None, id="date"),
    pytest.param("拆迁补偿款3000元，另有12000.50元至今未到账。", [], None, id="amounts"),
    pytest.param("地址：幸福路88号，邮编100010。", [], None, id="house-number-and-postcode"),
    pytest.param("我的信件编号2026-000123，查询码还没收到。", [], None, id="tracking-number"),
    pytest.param("网购订单号202611260001一直没发货。", [], None, id="order-number-12-digits"),
    pytest.param("从2019年到2026年，这条路修了三次。", [], None, id="years"),
    pytest.param("验证码482913已经过期。", [], None, id="six-digit-code"),
    pytest.param("打了12345和400-810-8888都没有结果。", [], None, id="hotlines"),
    pytest.param("交易流水号1234567890123456。", [], None, id="16-digits-failing-luhn"),
    pytest.param("业务受理号202611269999999999。", [], None, id="18-digits-not-an-id"),
    pytest.param("档案号139123456781234。", [], None, id="mobile-prefix-inside-longer-run"),
    pytest.param("全区常住人口1234567人，同比增长13.5%，投资138000000元。", [], None, id="statistics"),
    pytest.param("请在20261126之前答复，第2026-11号文件。", [], None, id="compact-date-and-document-number"),
]


@pytest.mark.parametrize(("text", "names", "expected"), MASKED)
def test_mask_personal_data(text: str, names: list[str], expected: str | None) -> None:
    assert mask_personal_data(text, names) == (text if expected is None else expected)


@pytest.mark.parametrize(("text", "names", "expected"), MASKED)
def test_masking_twice_changes_nothing_more(text: str, names: list[str], expected: str | None) -> None:
    once = mask_personal_data(text, names)
    assert mask_personal_data(once, names) == once


# --- mask_name and mask_phone -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "张*"),
        ("张小明", "张*明"),
        ("欧阳小明", "欧**明"),
        ("司马相如", "司**如"),
        ("李", "*"),
        ("买买提·艾力", "买****力"),
        (" 王建国 ", "王*国"),
        ("John Smith", "J*** S****"),
        ("Mary-Jane O'Neil", "M***-J*** O'N***"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13800138000", "138****8000"),
        ("+8613800138000", "+86138****8000"),
        ("+86 138 0013 8000", "+86 138 **** 8000"),
        ("138-0013-8000", "138-****-8000"),
        ("010-12345678", "010-****5678"),
        ("0755-87654321", "0755-****4321"),
        ("(0755)87654321", "(0755)****4321"),
        ("0571-88776655转123", "0571-****6655转123"),
        ("87654321", "****4321"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


# --- find_personal_data ---------------------------------------------------------


def test_find_personal_data_reports_kind_and_span_in_order() -> None:
    text = (
        f"我叫王建国，身份证{ID_BEIJING}，手机139 1234 5678，座机010-62345678，"
        f"邮箱wjg@example.com，卡号{CARD_CMB}，订单202611260001。"
    )
    expected = [
        ("name", "王建国"),
        ("id_number", ID_BEIJING),
        ("mobile", "139 1234 5678"),
        ("landline", "010-62345678"),
        ("email", "wjg@example.com"),
        ("bank_card", CARD_CMB),
    ]
    findings = find_personal_data(text, ["王建国"])
    assert [(finding.kind, finding.text) for finding in findings] == expected
    for finding in findings:
        assert finding.start == text.index(finding.text)
        assert text[finding.start : finding.end] == finding.text


def test_find_personal_data_full_width_text_keeps_original_characters() -> None:
    text = "电话（０１０）６２３４５６７８"
    assert find_personal_data(text) == [Finding("landline", 2, len(text), "（０１０）６２３４５６７８")]


def test_id_number_is_not_also_a_card_or_phone() -> None:
    findings = find_personal_data(f"{ID_SHENZHEN} {CARD_ICBC}")
    assert [(finding.kind, finding.start, finding.end) for finding in findings] == [
        ("id_number", 0, 18),
        ("bank_card", 19, 38),
    ]


def test_nothing_found_in_ordinary_text() -> None:
    assert find_personal_data("2026年11月26日，补偿款3000元，邮编100010，编号2026-000123。") == []


def test_a_single_name_may_be_passed_as_a_string() -> None:
    assert mask_personal_data("王建国说，国家政策王建国不清楚。", "王建国") == "王*国说，国家政策王*国不清楚。"


def test_blank_names_are_ignored() -> None:
    assert find_personal_data("我是市民。", ["", "  "]) == []


def test_finding_is_frozen() -> None:
    finding = Finding("mobile", 0, 11, "13912345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "email"  # type: ignore[misc]
