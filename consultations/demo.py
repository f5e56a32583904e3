"""Demonstration content, made through the module's services: topics, consultations, opinions.

Loaded by ``make run`` on an empty database after the core demo (departments fgw, zjj, jyj,
jtysj and their editors). Closed and concluded consultations are back-dated afterwards so the
dates read like history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from consultations import opinions, services
from consultations.tables import Consultation, Decision, Opinion, Status
from engagement.accounts import Staff
from engagement.modules import load_task_modules
from engagement.tables import Department, StaffUser, WorkflowEvent
from engagement.verification import VerifiedCitizen, citizen_for_phone

TOPICS = [
    ("“十五五”系列规划", "全市国民经济和社会发展第十五个五年规划及重点专项规划，公开听取市民意见。"),
    ("民生实事项目征集", "2027年度市政府民生实事项目，请您说出最关心的身边事。"),
]

# (department, topic index or None, title, summary, [(heading, body)], state)
CONSULTATIONS: list[tuple[str, int | None, str, str, list[tuple[str, str]], Status]] = [
    ("fgw", 0, "关于《××市国民经济和社会发展第十五个五年规划纲要（征求意见稿）》公开征求意见的公告",
     "规划纲要明确了未来五年全市发展的主要目标、重点任务和保障措施，欢迎社会各界提出意见建议。",
     [("总体要求", "坚持以人民为中心的发展思想，统筹发展和安全。"),
      ("主要目标", "到2030年，地区生产总值年均增长5%左右，城乡居民收入增长与经济增长基本同步。"),
      ("重点任务", "建设现代化产业体系，推进新型城镇化，提升公共服务水平。"),
      ("保障措施", "加强规划实施监测评估，健全公众参与机制。")], Status.open),
    ("jtysj", 0, "关于《××市综合交通运输发展“十五五”规划（征求意见稿）》公开征求意见",
     "规划提出构建“轨道+公交+慢行”一体化出行体系，欢迎市民就线网布局、换乘便利等提出建议。",
     [("发展基础", "全市轨道交通运营里程达到186公里。"),
      ("公共交通", "优化常规公交线网，新增社区微循环线路30条。"),
      ("慢行交通", "建设连续成网的自行车道和步行道。")], Status.concluded),
    ("zjj", None, "关于《××市老旧小区改造三年行动方案（2027—2029年）（征求意见稿）》公开征求意见",
     "方案拟对2000年底前建成的老旧小区实施改造，重点解决加装电梯、停车难、管网老化等问题。",
     [("改造范围", "2000年底前建成、失养失修的城镇老旧小区。"),
      ("改造内容", "基础类、完善类、提升类三类改造内容。"),
      ("资金筹措", "政府补助、居民出资、社会资本参与相结合。")], Status.open),
    ("jyj", 1, "关于《××市义务教育阶段课后服务实施办法（征求意见稿）》公开征求意见",
     "办法对课后服务的时间、内容、收费和安全管理作出规定，欢迎家长、教师和社会各界提出意见。",
     [("服务时间", "课后服务结束时间原则上不早于当地正常下班时间。"),
      ("服务内容", "以作业辅导、体育锻炼、兴趣培养为主。")], Status.closed),
    ("zjj", 1, "关于《××市住房租赁管理办法（征求意见稿）》公开征求意见",
     "办法规范住房租赁企业经营行为，保障承租人合法权益，促进租赁市场健康发展。",
     [("租赁合同", "推行住房租赁合同示范文本和网签备案。"),
      ("押金管理", "住房租赁企业收取的押金不得超过一个月租金。")], Status.concluded),
    ("fgw", 1, "关于2027年度市政府民生实事项目候选清单公开征求意见",
     "经前期征集，初步形成20项民生实事候选项目，请您对候选项目提出意见或补充建议。",
     [("教育与养老", "新增普惠托育位2000个，建设社区嵌入式养老服务设施50处。"),
      ("交通与环境", "改造城市积水点30处，新建口袋公园40个。")], Status.open),
]

OPINIONS = [
    ("张建国", "某社区居委会", "建议在社区层面增设老年人助餐点，并对80岁以上老人给予用餐补贴。", 1),
    ("李梅", "", "希望增加夜间公交线路，方便下晚班的市民回家，尤其是地铁末班车之后的接驳。", 2),
    ("王小红", "某科技有限公司", "建议加大对中小企业的融资支持力度，简化审批流程，推行“一网通办”。", None),
    ("", "", "老旧小区加装电梯费用分摊应有明确标准，低楼层住户的补偿也要考虑。", None),
    ("刘德华", "", "建议每个街道至少建设一个口袋公园，方便老人和孩子就近休闲。", 2),
    ("陈静", "市民", "希望规划中明确非机动车道的宽度标准，避免与机动车混行。", 3),
]
HELD = ("赵六", "", "有人在小区门口办证，还兜售代开发票，建议加强治理。")
REPLIES = {
    Decision.adopted: "感谢您的宝贵意见。经研究，已在正式稿中采纳，相关内容已作修改。",
    Decision.partially_adopted: "感谢您的建议。已部分采纳，其余内容将在专项方案中统筹考虑。",
    Decision.not_adopted: "感谢您的关注。该建议不属于本规划范围，已转相关部门研究。",
}
DECISION_CYCLE = [Decision.adopted, Decision.partially_adopted, Decision.not_adopted, None]


async def _staff(username: str) -> Staff:
    row = await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.display_name, StaffUser.role,
        StaffUser.department.id.as_alias("department_id"), StaffUser.department.slug.as_alias("department_slug"),
    ).where(StaffUser.username == username).first()
    return Staff(id=row["id"], username=row["username"], display_name=row["display_name"], role=row["role"],
                 department_id=row["department_id"], department_slug=row["department_slug"])


async def demo_citizen(phone: str) -> VerifiedCitizen:
    """A citizen as if verified by SMS (demo data only)."""
    e164 = phone if phone.startswith("+") else f"+86{phone}"
    return await citizen_for_phone(e164)


async def _make(admin: Staff, editors: dict[str, Staff], topics: list[int], spec, citizens, index: int) -> int:
    department, topic, title, summary, sections, state = spec
    editor = editors.get(department, admin)
    now = datetime.now(UTC)
    cid = await services.create_consultation(
        editor, title=title, department=department, summary=summary, body="为广泛听取社会各界意见，现予以公布。",
        closes_at=now + timedelta(days=20 + index), topic=topics[topic] if topic is not None else None,
        sections=sections)
    await services.publish_consultation(editor, cid)
    ids = []
    for n, (name, organization, content, section) in enumerate(OPINIONS):
        section = section if section is not None and section <= len(sections) else None
        submitted = await opinions.submit_opinion(citizens[n], cid, content, name, organization, section,
                                                  notify_by_sms=n == 0)
        ids.append(submitted.id)
    held = await opinions.submit_opinion(citizens[-1], cid, HELD[2], HELD[0], HELD[1])
    if index % 2 == 0:
        await opinions.moderate_opinion(editor, held.id, "reject")
    for n, opinion_id in enumerate(ids):
        decision = DECISION_CYCLE[(n + index) % len(DECISION_CYCLE)]
        if decision and state != Status.open or (decision and n < 2):
            await opinions.review_opinion(editor, opinion_id, decision.value, REPLIES[decision])
        if n < 3:
            for citizen in citizens[n:]:
                await opinions.support_opinion(citizen, opinion_id)
    if state in (Status.closed, Status.concluded):
        await services.close_consultation(editor, cid)
    if state == Status.concluded:
        await services.save_outcome(
            editor, cid, f"{title.replace('（征求意见稿）', '').replace('公开征求意见', '')}（正式稿）全文已印发。",
            "一、为什么制定：回应群众关切。\n二、主要内容：明确目标、任务和保障措施。\n三、采纳了哪些意见：见下方“您说我做”。")
        await services.conclude_consultation(editor, cid)
    if state != Status.open:  # back-date the history of finished consultations
        start = now - timedelta(days=90 - index * 5)
        await Consultation.update({
            Consultation.opens_at: start, Consultation.published_at: start,
            Consultation.closes_at: start + timedelta(days=30), Consultation.closed_at: start + timedelta(days=30),
            Consultation.view_count: 1200 + index * 317,
        }).where(Consultation.id == cid)
        await _back_date_history(cid, [*ids, held.id], start)
    else:
        await Consultation.update({Consultation.view_count: 300 + index * 91}).where(Consultation.id == cid)
    return cid


async def _back_date_history(consultation_id: int, opinion_ids: list[int], start: datetime) -> None:
    """Opinions and decisions in the first days, closing and conclusion at the deadline (statistics by month)."""
    commented = start + timedelta(days=3)
    await Opinion.update({Opinion.created_at: commented, Opinion.reviewed_at: commented}).where(
        Opinion.id.is_in(opinion_ids))
    await Opinion.update({Opinion.reviewed_at: None}).where(
        Opinion.id.is_in(opinion_ids) & (Opinion.decision == Decision.pending))
    events = WorkflowEvent.aggregate == "consultation", WorkflowEvent.target_id == consultation_id
    await WorkflowEvent.update({WorkflowEvent.created_at: start}).where(
        *events, WorkflowEvent.transition.is_in(["create", "publish"]))
    await WorkflowEvent.update({WorkflowEvent.created_at: start + timedelta(days=30)}).where(
        *events, WorkflowEvent.transition.not_in(["create", "publish"]))
    await WorkflowEvent.update({WorkflowEvent.created_at: commented}).where(
        (WorkflowEvent.aggregate == "opinion") & WorkflowEvent.target_id.is_in(opinion_ids))


async def load_demo() -> None:
    load_task_modules()  # reviews queue SMS jobs; a script may not have built the app
    admin = await _staff("admin")
    slugs = {row["slug"] for row in await Department.select(Department.slug)}
    editors = {}
    for username in ("fgw_editor", "zjj_editor", "jyj_editor"):
        if await StaffUser.exists().where(StaffUser.username == username):
            staff = await _staff(username)
            editors[staff.department_slug] = staff
    topics = [(await services.create_topic(admin, title, description)).id for title, description in TOPICS]
    citizens = [await demo_citizen(f"1380013{n:04d}") for n in range(len(OPINIONS) + 1)]
    for index, spec in enumerate(CONSULTATIONS):
        if spec[0] in slugs:
            await _make(admin, editors, topics, spec, citizens, index)


async def sample_paths(cast: Any) -> dict[str, str]:
    """One open consultation with a reviewed opinion, and its topic, for the browser checks."""
    load_task_modules()
    admin = await _staff(cast.admin.username)
    editor = await _staff(cast.fgw_editor.username)
    topic = await services.create_topic(admin, TOPICS[0][0], TOPICS[0][1])
    citizens = [await demo_citizen(f"1370013{n:04d}") for n in range(len(OPINIONS) + 1)]
    cid = await _make(admin, {"fgw": editor}, [topic.id, topic.id], CONSULTATIONS[0], citizens, 0)
    return {
        "/consultations/{consultation_id}": f"/consultations/{cid}",
        "/consultations/topics/{topic_id}": f"/consultations/topics/{topic.id}",
    }
