"""Demonstration issues, made through the services: a TV questioning programme after the show and one collecting.

``create_programme`` makes an ended programme with 20 issues in every state (3 merged, 6 selected
with their on-air answers) and an announced one still collecting; it answers the ids, among them
``selected`` (the six issues that get rectifications, live_sessions/demo.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engagement.accounts import Staff
from engagement.verification import VerifiedCitizen, citizen_for_phone
from live_sessions import services, services_issues

GUESTS = [
    {"name": "陈志强", "title": "县住房和城乡建设局局长"},
    {"name": "刘敏", "title": "县综合行政执法局局长"},
    {"name": "赵磊", "title": "县交通运输局局长"},
]

# (title, content, location, category, supports)
ISSUES = [
    ("幸福路路灯坏了三个月没人修", "幸福路12号至30号的路灯一直不亮，晚上老人孩子出行很危险，多次反映没有结果。", "幸福路", "市政设施", 14),
    ("菜市场凌晨卸货噪音扰民", "东门菜市场每天凌晨四点开始卸货，喇叭声和搬运声很大，周边居民无法休息。", "东门菜市场", "噪音", 11),
    ("老旧小区加装电梯审批太慢", "我们小区去年就提交了加装电梯申请，材料补了三次还没批下来，希望简化流程。", "桃源小区", "住房", 10),
    ("学校门口上下学时段严重拥堵", "实验小学门口接送车辆乱停，早晚高峰堵得水泄不通，存在安全隐患。", "实验小学", "交通", 9),
    ("河道垃圾漂浮无人清理", "城西河段最近漂浮大量垃圾和水草，夏天气味很重。", "城西河", "环境", 8),
    ("公交12路班次太少", "12路公交高峰期要等40分钟，希望增加班次或者延长末班车时间。", "12路公交", "交通", 7),
    ("小区违建侵占消防通道", "锦绣花园3幢一楼住户私自搭建阳光房，占用了消防通道。", "锦绣花园", "执法", 6),
    ("农贸市场周边占道经营", "农贸市场外的流动摊贩占用人行道，行人只能走机动车道。", "农贸市场", "执法", 5),
    ("公园健身器材损坏", "人民公园的健身器材有好几件坏了，螺丝松动，容易伤人。", "人民公园", "市政设施", 4),
    ("雨天积水严重", "解放路与建设路路口一下雨就积水，车辆熄火，行人无法通过。", "解放路口", "市政设施", 4),
    ("垃圾分类投放点太远", "新建小区只有一个垃圾分类投放点，离部分楼栋有五百多米。", "滨江新村", "环境", 3),
    ("夜市油烟扰民", "夜市烧烤油烟直冲居民楼，晚上不敢开窗。", "城南夜市", "环境", 2),
]
DUPLICATES = [  # merged into ISSUES[n]
    (0, "幸福路晚上黑漆漆的", "幸福路的路灯坏了很久了，希望尽快修好。"),
    (1, "菜市场早上太吵了", "菜市场四点多就很吵，能不能规定卸货时间。"),
    (3, "实验小学门口停车乱", "接孩子的车把路都堵死了。"),
]
REJECTED = [
    ("我要投诉邻居", "邻居家的狗总是叫。", "与本期问政主题无关，请通过12345热线反映。"),
    ("测试", "测试一下。", "内容不完整。"),
]
PENDING = [
    ("停车位收费不合理", "医院附近的停车位收费太贵，一小时十元。"),
    ("希望增设充电桩", "小区里电动汽车越来越多，但没有充电桩。"),
    ("自来水水压低", "高层住户早晚用水高峰时水压很低。"),
]
SELECTED = [  # index in ISSUES, why selected, who answered, the answer
    (0, "支持人数最多，多次反映未解决", "县住房和城乡建设局局长 陈志强", "一周内完成幸福路全线路灯检修，并建立路灯巡查机制。"),
    (1, "影响周边上千户居民休息", "县综合行政执法局局长 刘敏", "规定卸货时间为早上六点以后，执法队员每天凌晨巡查。"),
    (2, "涉及住建、规划多个部门", "县住房和城乡建设局局长 陈志强", "推行联合审批，加装电梯审批时限压缩到20个工作日。"),
    (3, "关系学生安全", "县交通运输局局长 赵磊", "增设临时停车泊位和护学岗，高峰时段交警现场疏导。"),
    (4, "群众反映集中", "县综合行政执法局局长 刘敏", "三天内完成城西河段集中清理，落实河长日常保洁。"),
    (5, "覆盖交通部门", "县交通运输局局长 赵磊", "下月起12路高峰班次加密至15分钟一班。"),
]


async def _citizens(count: int) -> list[VerifiedCitizen]:
    return [await citizen_for_phone(f"+8613800001{n:03d}") for n in range(count)]


async def create_programme(host: Staff) -> dict[str, object]:
    """The ended programme (20 issues) and an announced one collecting issues; their ids and the issues'."""
    now = datetime.now(UTC)
    citizens = await _citizens(16)
    programme = await services.create_session(
        host, kind="tv_questioning", title="电视问政：民生实事面对面", guests=GUESTS, scheduled_at=now - timedelta(days=40),
        description="县级部门负责人现场接受问政，回应群众最关心的民生问题，节目后整改情况全程公开。")
    session_id = programme["id"]
    issue_ids = []
    for n, (title, content, location, category, supports) in enumerate(ISSUES):
        issue = await services_issues.propose_issue(session_id, citizens[n], title=title, content=content,
                                                    location=location, category=category,
                                                    name="张小明" if n == 0 else "", notify=True)
        await services_issues.moderate_issue(issue["id"], host, "approve", "")
        for supporter in citizens[:supports]:
            await services_issues.support_issue(issue["id"], supporter, notify=supporter.id % 2 == 0)
        issue_ids.append(issue["id"])
    merged = []
    for n, (into, title, content) in enumerate(DUPLICATES):
        duplicate = await services_issues.propose_issue(session_id, citizens[12 + n], title=title, content=content,
                                                        notify=True)
        await services_issues.moderate_issue(duplicate["id"], host, "approve", "")
        await services_issues.support_issue(duplicate["id"], citizens[15], notify=True)
        await services_issues.merge_issue(duplicate["id"], issue_ids[into], host)
        merged.append(duplicate["id"])
    for title, content, reason in REJECTED:
        rejected = await services_issues.propose_issue(session_id, citizens[15], title=title, content=content)
        await services_issues.moderate_issue(rejected["id"], host, "reject", reason)
    for n, (title, content) in enumerate(PENDING):
        await services_issues.propose_issue(session_id, citizens[n], title=title, content=content)
    selected = []
    for index, note, _who, _answer in SELECTED:
        await services_issues.select_issue(issue_ids[index], host, note)
        selected.append(issue_ids[index])
    await services.start_session(host, session_id)
    for index, _note, who, answer in SELECTED:
        await services_issues.put_on_air(session_id, issue_ids[index], host)
        await services_issues.record_on_air_answer(issue_ids[index], host, answer, who)
    await services.end_session(host, session_id)
    collecting = (await collecting_programme(host, citizens))["session"]
    return {"programme": session_id, "selected": selected, "merged": merged, "issues": issue_ids,
            "collecting": collecting}


async def collecting_programme(host: Staff, citizens: list[VerifiedCitizen] | None = None) -> dict[str, int]:
    """An announced programme still collecting: a selected issue, a published one and a duplicate merged into it."""
    now = datetime.now(UTC)
    citizens = citizens or await _citizens(8)
    row = await services.create_session(
        host, kind="tv_questioning", title="电视问政：城市交通专场", guests=GUESTS[2:], scheduled_at=now + timedelta(days=14),
        issues_close_at=now + timedelta(days=10),
        description="征集群众关心的交通出行问题，支持人数多的问题将在节目中现场问政。")
    ids = []
    for n, (title, content) in enumerate([("红绿灯时间太短", "人民路口绿灯只有15秒，老人过不去马路。"),
                                          ("共享单车乱停放", "地铁口共享单车堆满人行道。"),
                                          ("单车挡住人行道", "共享单车把盲道都占了。")]):
        issue = await services_issues.propose_issue(row["id"], citizens[n], title=title, content=content,
                                                    name="李小红" if n == 0 else "")
        await services_issues.moderate_issue(issue["id"], host, "approve", "")
        await services_issues.support_issue(issue["id"], citizens[n + 5])
        ids.append(issue["id"])
    await services_issues.merge_issue(ids[2], ids[1], host)
    await services_issues.select_issue(ids[0], host, "涉及老人出行安全")
    return {"session": row["id"], "selected": ids[0], "approved": ids[1], "merged": ids[2]}
