"""Sample letters for development and for the accessibility tests, made through the services.

``load_demo`` runs after the core's demo data (departments szfbgt, the receiving desk, and fgw, zjj,
jyj, jtysj, sthjj with their staff): letters in every category and several departments, some
answered and published, some rated, some overdue. Overdue letters need a receipt date in the past, which no service
offers, so those few are back-dated by one UPDATE after submission (demo data only).
"""

from __future__ import annotations

from datetime import timedelta

from engagement import clock
from engagement.accounts import Staff, issue_token, staff_for_token
from engagement.tables import StaffUser
from engagement.verification import VerifiedCitizen, citizen_for_phone
from mailbox import services
from mailbox.tables import Letter

# (category, department (None: stays with the receiving desk), subject, body, writer, reply or None, rating or None,
#  publish, days overdue)
LETTERS = [
    ("suggestion", "jtysj", "建议增开早高峰公交班次", "我每天早上7点在幸福路站坐28路公交，经常等20分钟也挤不上车，建议早高峰加密班次。我的电话13800138000。",
     "张小明", "您好！经调研，28路早高峰客流确实较大，我局已协调公交集团自12月1日起早高峰加开区间车，发车间隔缩短至6分钟。", 5, True, 0),
    ("complaint", "zjj", "小区夜间施工噪音扰民", "我住在滨江花园，隔壁工地每晚施工到凌晨，严重影响休息。我叫李建国，身份证号110101199003071234。",
     "李建国", "您好！经现场核查，该工地存在夜间违规施工行为，已责令其立即停止夜间作业，并处以罚款。", 4, True, 0),
    ("consultation", "jyj", "孩子入学需要准备哪些材料", "孩子明年上小学，户口在本区但房子是租的，请问需要准备哪些材料？",
     "王秀英", "您好！租房家庭需提供户口簿、居住证明（租赁合同备案）、社保缴纳证明，具体以学区公告为准。", None, True, 0),
    ("help", "zjj", "老旧小区加装电梯如何申请", "我们小区是1995年建的，没有电梯，老人上下楼很困难，请问加装电梯怎么申请、有没有补贴？",
     "刘洋", "您好！加装电梯需本单元三分之二以上业主同意，可向街道提交申请，市级财政每台补贴20万元。", 5, True, 0),
    ("praise", "fgw", "感谢发改委窗口的热情服务", "上周到政务中心办理项目备案，发改委窗口工作人员耐心细致，一次办成，特此表扬。",
     "陈静", "感谢您的肯定，我们将继续改进服务。", None, True, 0),
    ("suggestion", "sthjj", "河道垃圾清理建议", "城东河道近期漂浮垃圾较多，夏天有异味，建议定期清理并加装拦污网。联系邮箱chen@example.com。",
     "杨帆", "您好！已安排河道保洁单位每周两次打捞清理，并将在上游加装拦污设施。", 3, True, 0),
    ("complaint", "jtysj", "路口红绿灯时间太短", "解放路与人民路交叉口行人绿灯只有15秒，老人过马路来不及。", "赵丽华", None, None, False, 3),
    ("consultation", "fgw", "居民阶梯电价如何计算", "请问居民阶梯电价的档位是怎么划分的？", "黄志强", None, None, False, 1),
    ("help", None, "拖欠农民工工资求助", "我在某工地干了半年活，老板拖欠工资3万元一直不给，求帮助。", "周敏", None, None, False, 0),
    ("suggestion", "jyj", "建议学校延长课后服务时间", "双职工家庭下班晚，建议课后服务延长到18点。", "吴海燕", None, None, False, 0),
]

DEMO_PHONE = "13800000001"


async def _demo_citizen(phone: str = DEMO_PHONE) -> VerifiedCitizen:
    return await citizen_for_phone(phone)


async def _staff(username: str) -> Staff:
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    return await staff_for_token(await issue_token(user["id"]))


async def load_demo() -> None:
    citizen = await _demo_citizen()
    admin = await _staff("admin")
    for category, department, subject, body, writer, reply, rating, publish, overdue_days in LETTERS:
        submitted = await services.submit_letter(citizen, subject=subject, body=body, name=writer, category=category,
                                                 department=None, public_consent=publish)
        number, code = submitted.letter["tracking_number"], submitted.query_code
        if department:
            await services.assign_letter(admin, number, department)
        if overdue_days:
            await Letter.update({Letter.due_date: clock.today() - timedelta(days=overdue_days)}).where(
                Letter.tracking_number == number)
        if reply:
            await services.reply_to_letter(admin, number, reply)
            if rating:
                await services.rate_letter(number, code, rating, "")
            if publish:
                await services.publish_letter(admin, number)
    await services.send_deadline_reminders()


async def sample_paths(cast) -> dict[str, str]:
    """A published letter, for the accessibility test of /mailbox/letters/{tracking_number}."""
    citizen = await _demo_citizen()
    admin = await staff_for_token(await issue_token(cast.admin.id))
    submitted = await services.submit_letter(citizen, subject="建议增开早高峰公交班次", body="早高峰公交太挤，建议加密班次。",
                                             name="张小明", category="suggestion", public_consent=True)
    number = submitted.letter["tracking_number"]
    await services.reply_to_letter(admin, number, "您好！已协调加开区间车。")
    await services.publish_letter(admin, number)
    return {"/mailbox/letters/{tracking_number:str}": f"/mailbox/letters/{number}"}
