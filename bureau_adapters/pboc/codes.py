"""PBOC code tables (代码表) as enums with Chinese and English labels.

Each table is a :class:`CodeTable` enum: the member's value is the code as the report
writes it, ``zh`` and ``en`` are its labels. Tables are declared as data (code, Chinese,
English) from §2–§3 of ``docs/pboc-report.md``; member names are derived from the English
label, e.g. ``AccountType.CREDIT_CARD == "R2"``.

:meth:`CodeTable.normalise` is how the parser reads a coded element: it accepts the code,
the code without its leading zero (``"1"`` for ``"01"``), the Chinese label (with or without
a trailing ``账户``) or the English label, and returns the enum member; an unknown value is
returned unchanged as a plain ``str`` (real reports carry codes such as institution type
``2010`` that no table lists), so no information is lost.

>>> AccountType.normalise("贷记卡账户") is AccountType.CREDIT_CARD
True
>>> QueryReason.normalise("1").zh
'贷后管理'
>>> InstitutionType.normalise("2010")
'2010'
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, cast

from bureau_adapters.pboc.statuses import (
    ACCOUNT_STATUS_LABELS,
    STATUS_RANK,
    normalise_account_status,
)

__all__ = [
    "ACCOUNT_STATUS_LABELS",
    "STATUS_RANK",
    "AccountType",
    "AnnotationType",
    "BusinessKind",
    "CodeTable",
    "Education",
    "EmploymentStatus",
    "EnterpriseIdType",
    "EnterpriseQueryReason",
    "FiveClass",
    "Guarantee",
    "IdType",
    "InstitutionType",
    "LimitPurpose",
    "MaritalStatus",
    "PublicRecordType",
    "QueryReason",
    "RepaymentStatus",
    "ResidenceStatus",
    "Sex",
    "SpecialTransactionType",
    "SummaryAccountType",
    "normalise_account_status",
]


class CodeTable(StrEnum):
    """Base of every PBOC code table: ``value`` is the code, ``zh``/``en`` its labels."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str = "", en: str = "") -> CodeTable:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.zh = zh
        obj.en = en
        return obj

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def normalise(cls, raw: str) -> CodeTable | str:
        """Map a code, a code without leading zeros, or a label to its member."""
        lookup: dict[str, CodeTable] = cls._lookup()  # type: ignore[attr-defined]
        return lookup.get(raw) or lookup.get(raw.lower()) or raw

    @classmethod
    def label(cls, code: str | None, lang: str = "zh") -> str | None:
        """The label of ``code`` (``None`` when unknown or missing)."""
        member = cls.normalise(code) if code else None
        if isinstance(member, CodeTable):
            return member.zh if lang == "zh" else member.en
        return None


def _build_lookup(table: type[CodeTable]) -> dict[str, CodeTable]:
    lookup: dict[str, CodeTable] = {}
    for member in table:
        for key in (member.zh, member.zh + "账户", member.en.lower()):
            lookup.setdefault(key, member)
        stripped = member.value.lstrip("0")
        if stripped and stripped not in lookup and stripped != member.value:
            lookup.setdefault(stripped, member)
    for member in table:  # codes win over labels
        lookup[member.value] = member
    return lookup


def _table(name: str, rows: list[tuple[str, str, str]]) -> Any:
    """Create a :class:`CodeTable` subclass from (code, Chinese, English) rows."""
    members: dict[str, tuple[str, str, str]] = {}
    for code, zh, en in rows:
        key = re.sub(r"[^0-9A-Za-z]+", "_", en).strip("_").upper() or f"C_{code}"
        if key[0].isdigit():
            key = "C_" + key
        while key in members:
            key = f"{key}_{code}"
        members[key] = (code, zh, en)
    enum_cls: Any = cast(Any, CodeTable)(name, members)
    enum_cls.__module__ = __name__
    lookup = _build_lookup(enum_cls)
    enum_cls._lookup = classmethod(lambda cls: lookup)
    return enum_cls


IdType = _table(
    "IdType",
    [
        ("1", "户口簿", "household register"),
        ("2", "护照", "passport"),
        ("5", "港澳居民来往内地通行证", "Hong Kong Macau travel permit"),
        ("6", "台湾同胞来往内地通行证", "Taiwan travel permit"),
        ("8", "外国人居留证", "foreigner residence permit"),
        ("9", "警官证", "police officer ID"),
        ("10", "居民身份证", "resident ID card"),
        ("20", "军人身份证件", "military ID"),
        ("A", "香港身份证", "Hong Kong ID"),
        ("B", "澳门身份证", "Macau ID"),
        ("C", "台湾身份证", "Taiwan ID"),
        ("X", "其他证件", "other"),
    ],
)
Sex = _table(
    "Sex",
    [
        ("0", "未知", "unknown"),
        ("1", "男", "male"),
        ("2", "女", "female"),
        ("9", "未说明", "unstated"),
    ],
)
Education = _table(
    "Education",
    [
        ("10", "研究生", "postgraduate"),
        ("20", "本科", "bachelor"),
        ("30", "大专", "junior college"),
        ("40", "中专", "technical secondary"),
        ("60", "高中", "senior high"),
        ("90", "其他", "other"),
        ("91", "初中及以下", "junior high or below"),
        ("99", "未知", "unknown"),
    ],
)
EmploymentStatus = _table(
    "EmploymentStatus",
    [
        ("11", "国家公务员", "civil servant"),
        ("13", "专业技术人员", "professional"),
        ("17", "职员", "clerk"),
        ("21", "企业管理人员", "manager"),
        ("24", "工人", "worker"),
        ("27", "农民", "farmer"),
        ("31", "学生", "student"),
        ("37", "现役军人", "military"),
        ("51", "自由职业者", "freelancer"),
        ("54", "个体经营者", "self employed"),
        ("70", "无业人员", "unemployed"),
        ("80", "退(离)休人员", "retired"),
        ("90", "其他", "other"),
        ("91", "在职", "employed"),
        ("99", "未知", "unknown"),
    ],
)
MaritalStatus = _table(
    "MaritalStatus",
    [
        ("10", "未婚", "unmarried"),
        ("20", "已婚", "married"),
        ("30", "丧偶", "widowed"),
        ("40", "离婚", "divorced"),
        ("91", "单身", "single"),
        ("99", "未知", "unknown"),
    ],
)
ResidenceStatus = _table(
    "ResidenceStatus",
    [
        ("1", "自置", "owned"),
        ("2", "按揭", "mortgaged"),
        ("3", "亲属楼宇", "relative home"),
        ("4", "集体宿舍", "dormitory"),
        ("5", "租房", "rented"),
        ("6", "共有住宅", "co owned"),
        ("7", "其他", "other"),
        ("11", "自有", "own"),
        ("12", "借住", "borrowed"),
        ("9", "未知", "unknown"),
    ],
)
AccountType = _table(
    "AccountType",
    [
        ("D1", "非循环贷账户", "non-revolving loan"),
        ("R4", "循环额度下分账户", "revolving sub-account"),
        ("R1", "循环贷账户", "revolving loan"),
        ("R2", "贷记卡", "credit card"),
        ("R3", "准贷记卡", "semi-credit card"),
        ("C1", "被追偿账户", "recovered account"),
    ],
)
SummaryAccountType = _table(
    "SummaryAccountType",
    [
        ("1", "非循环贷账户", "D1"),
        ("2", "循环额度下分账户", "R4"),
        ("3", "循环贷账户", "R1"),
        ("4", "贷记卡", "R2"),
        ("5", "准贷记卡", "R3"),
    ],
)
BusinessKind = _table(
    "BusinessKind",
    [
        ("11", "个人住房商业贷款", "commercial housing loan"),
        ("12", "个人商用房贷款", "commercial property loan"),
        ("13", "个人住房公积金贷款", "housing fund loan"),
        ("21", "个人汽车消费贷款", "auto loan"),
        ("31", "个人助学贷款", "student loan"),
        ("32", "国家助学贷款", "state student loan"),
        ("33", "商业助学贷款", "commercial student loan"),
        ("41", "个人经营性贷款", "business loan"),
        ("42", "个人创业担保贷款", "entrepreneurship guarantee loan"),
        ("51", "农户贷款", "farmer loan"),
        ("52", "经营性农户贷款", "business farmer loan"),
        ("53", "消费性农户贷款", "consumption farmer loan"),
        ("61", "约定购回式证券交易", "securities repurchase"),
        ("62", "股票质押式回购交易", "stock pledge repo"),
        ("63", "融资融券业务", "margin financing"),
        ("64", "其他证券类融资", "other securities financing"),
        ("71", "准贷记卡", "semi-credit card"),
        ("81", "贷记卡", "credit card"),
        ("82", "大额专项分期卡", "large special instalment card"),
        ("91", "其他个人消费贷款", "other consumer loan"),
        ("92", "融资租赁业务", "financial leasing"),
        ("99", "其他贷款", "other loan"),
        ("A1", "资产处置", "asset disposal"),
        ("B1", "代偿", "third party repayment"),
    ],
)
InstitutionType = _table(
    "InstitutionType",
    [
        ("11", "商业银行", "commercial bank"),
        ("12", "村镇银行", "village bank"),
        ("14", "住房储蓄银行", "housing savings bank"),
        ("15", "外资银行", "foreign bank"),
        ("16", "财务公司", "finance company"),
        ("21", "信托公司", "trust"),
        ("22", "融资租赁公司", "leasing"),
        ("23", "汽车金融公司", "auto finance"),
        ("24", "消费金融公司", "consumer finance"),
        ("25", "贷款公司", "lending company"),
        ("26", "金融资产管理公司", "asset management company"),
        ("31", "证券公司", "securities"),
        ("41", "保险公司", "insurance"),
        ("51", "小额贷款公司", "micro lender"),
        ("52", "公积金管理中心", "housing fund centre"),
        ("53", "融资担保公司", "financing guarantor"),
        ("54", "保理公司", "factoring"),
        ("99", "其他机构", "other"),
    ],
)
Guarantee = _table(
    "Guarantee",
    [
        ("1", "质押", "pledge"),
        ("2", "抵押", "mortgage"),
        ("3", "保证", "guarantee"),
        ("4", "信用/免担保", "unsecured"),
        ("5", "组合（含保证）", "combination with guarantee"),
        ("6", "组合（不含保证）", "combination without guarantee"),
        ("7", "农户联保", "farmer joint guarantee"),
        ("9", "其他", "other"),
    ],
)
FiveClass = _table(
    "FiveClass",
    [
        ("1", "正常", "normal"),
        ("2", "关注", "special mention"),
        ("3", "次级", "substandard"),
        ("4", "可疑", "doubtful"),
        ("5", "损失", "loss"),
        ("6", "违约", "default"),
        ("9", "未分类", "unclassified"),
    ],
)
SpecialTransactionType = _table(
    "SpecialTransactionType",
    [
        ("1", "展期", "extension"),
        ("2", "担保人（第三方）代偿", "repaid by guarantor"),
        ("3", "以资抵债", "settled with assets"),
        ("4", "提前还款", "early repayment"),
        ("5", "提前结清", "early settlement"),
        ("6", "强制平仓，未结清", "forced liquidation unsettled"),
        ("7", "强制平仓，已结清", "forced liquidation settled"),
        ("8", "司法追偿", "judicial recovery"),
        ("9", "其他", "other"),
        ("11", "债务减免", "debt relief"),
        ("12", "资产剥离", "asset divestiture"),
        ("13", "资产转让", "asset transfer"),
        ("14", "信用卡个性化分期", "card instalment plan"),
        ("16", "银行主动延期", "policy deferral"),
        ("17", "强制平仓", "forced liquidation"),
    ],
)
RepaymentStatus = _table(
    "RepaymentStatus",
    [
        ("N", "正常还款", "paid on time"),
        ("1", "逾期1-30天", "overdue 1-30 days"),
        ("2", "逾期31-60天", "overdue 31-60 days"),
        ("3", "逾期61-90天", "overdue 61-90 days"),
        ("4", "逾期91-120天", "overdue 91-120 days"),
        ("5", "逾期121-150天", "overdue 121-150 days"),
        ("6", "逾期151-180天", "overdue 151-180 days"),
        ("7", "逾期180天以上", "overdue 180 days plus"),
        ("*", "当月不需要还款且之前没有拖欠", "nothing due"),
        ("#", "账户已开立但当月状态未知", "unknown"),
        ("/", "跳过", "skipped"),
        ("C", "结清", "settled"),
        ("G", "非正常销户", "ended abnormally"),
        ("B", "呆账", "bad debt"),
        ("D", "担保人代还", "repaid by guarantor"),
        ("Z", "以资抵债", "settled with assets"),
        ("M", "约定还款日后月底前还款", "paid late within month"),
        ("A", "账单日调整，当月不出单", "billing day changed"),
    ],
)
QueryReason = _table(
    "QueryReason",
    [
        ("01", "贷后管理", "post-loan management"),
        ("02", "贷款审批", "loan approval"),
        ("03", "信用卡审批", "credit card approval"),
        ("08", "担保资格审查", "guarantee qualification review"),
        ("09", "司法调查", "judicial investigation"),
        ("16", "公积金提取复核查询", "housing fund withdrawal check"),
        ("18", "股指期货开户", "stock index futures account"),
        ("19", "特约商户实名审查", "merchant real-name review"),
        ("20", "保前审查", "pre-guarantee review"),
        ("21", "保后管理", "post-guarantee management"),
        ("22", "法人代表、负责人、高管等资信审查", "executive credit review"),
        ("23", "客户准入资格审查", "customer admission review"),
        ("24", "融资审批", "financing approval"),
        ("25", "资信审查", "credit standing review"),
        ("26", "额度审批", "limit approval"),
    ],
)
LimitPurpose = _table(
    "LimitPurpose",
    [
        ("10", "循环贷款额度", "revolving loan limit"),
        ("20", "非循环贷款额度", "non-revolving loan limit"),
        ("30", "信用卡共享额度", "card shared limit"),
        ("31", "信用卡独立额度", "card independent limit"),
    ],
)
PublicRecordType = _table(
    "PublicRecordType",
    [
        ("1", "欠税信息", "tax arrears"),
        ("2", "民事判决信息", "civil judgment"),
        ("3", "强制执行信息", "enforcement"),
        ("4", "行政处罚信息", "administrative penalty"),
    ],
)
AnnotationType = _table(
    "AnnotationType",
    [
        ("1", "异议标注", "objection annotation"),
        ("2", "特殊标注", "special annotation"),
        ("3", "本人声明", "personal declaration"),
        ("4", "机构说明", "institution note"),
        ("5", "征信中心说明", "CRC note"),
    ],
)
EnterpriseQueryReason = _table(
    "EnterpriseQueryReason",
    [
        ("10", "贷前审查", "pre-loan review"),
        ("20", "贷中经营", "in-loan operation"),
        ("30", "贷后管理", "post-loan management"),
        ("40", "关联查询", "related-party query"),
        ("50", "担保审查", "guarantee review"),
        ("90", "其他", "other"),
    ],
)
EnterpriseIdType = _table(
    "EnterpriseIdType",
    [
        ("01", "工商注册号", "business registration number"),
        ("02", "机关和事业单位登记号", "public institution registration"),
        ("03", "社会团体登记号", "social organisation"),
        ("04", "民办非企业登记号", "private non-enterprise"),
        ("05", "基金会登记号", "foundation"),
        ("06", "宗教证书登记号", "religious"),
        ("07", "律师事务所执业许可证号", "law firm"),
        ("08", "司法鉴定许可证号", "judicial appraisal"),
        ("10", "中征码", "CRC code"),
        ("20", "统一社会信用代码", "unified social credit code"),
        ("30", "组织机构代码", "organisation code"),
        ("41", "纳税人识别号（国税）", "taxpayer ID state"),
        ("42", "纳税人识别号（地税）", "taxpayer ID local"),
    ],
)
