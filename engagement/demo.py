"""Demonstration data for development: departments, staff accounts, notices, words.

Each installed module adds its own sample content through its manifest's ``demo``.
Passwords are fixed development passwords, printed in the log; production refuses to load demo data.
"""

from __future__ import annotations

import logging

from engagement.accounts import create_department, create_staff
from engagement.errors import Conflict
from engagement.limits import citizen_limits_lifted
from engagement.modules import manifests
from engagement.settings import get_settings
from engagement.tables import Department, Notice, SensitiveWord

log = logging.getLogger("engagement.demo")

DEPARTMENTS = [
    ("szfbgt", "市人民政府办公厅", "负责市长信箱来信的受理与转办。"),
    ("fgw", "市发展和改革委员会", "负责国民经济和社会发展规划的编制。"),
    ("zjj", "市住房和城乡建设局", "负责住房保障、城市更新和建筑市场监管。"),
    ("jyj", "市教育局", "负责基础教育、职业教育的规划与管理。"),
    ("jtysj", "市交通运输局", "负责公共交通、道路运输和交通规划。"),
    ("sthjj", "市生态环境局", "负责生态环境保护和污染防治。"),
]
RECEIVING_DESK = "szfbgt"  # the 办公厅 receives the letters written to the mayor and routes them

STAFF = [
    ("admin", "admin-dev-pass", "admin", None, "系统管理员"),
    ("fgw_editor", "editor-dev-pass", "editor", "fgw", "发改委 李编辑"),
    ("zjj_editor", "editor-dev-pass", "editor", "zjj", "住建局 王编辑"),
    ("jyj_editor", "editor-dev-pass", "editor", "jyj", "教育局 赵编辑"),
    ("host", "host-dev-pass", "host", None, "访谈主持人"),
]

NOTICES = [
    ("关于开展“十五五”规划编制公众建言活动的公告", "即日起至12月31日，欢迎社会各界通过本平台为“十五五”规划建言献策。"),
    ("市长信箱办理工作规范（2026年修订）", "来信自受理之日起5个工作日内答复，复杂问题可延长，延长需告知来信人。"),
    ("12月5日“民生访谈”预告：聊聊老旧小区加装电梯", "市住房和城乡建设局负责同志将做客访谈，欢迎提前留言提问。"),
]

SENSITIVE_WORDS = ["赌博", "代开发票", "办证", "枪支", "毒品"]


async def load_demo(only_if_empty: bool = True) -> bool:
    if get_settings().is_production:
        raise Conflict("demo data is for development only")
    if only_if_empty and await Department.count() > 0:
        return False
    for slug, name, description in DEPARTMENTS:
        await create_department(slug, name, description, receiving_desk=slug == RECEIVING_DESK)
    for username, password, role, department, display_name in STAFF:
        await create_staff(username, password, role, department, display_name)
        log.warning("demo account: %-12s password: %-16s role: %s%s", username, password, role,
                    f" ({department})" if department else "")
    await Notice.insert(*[Notice(title=title, body=body) for title, body in NOTICES])
    await SensitiveWord.insert(*[SensitiveWord(word=word) for word in SENSITIVE_WORDS])
    with citizen_limits_lifted():  # a few sample citizens write many letters, opinions and questions
        for manifest in manifests():
            if manifest.demo is not None:
                await manifest.demo()
    return True
