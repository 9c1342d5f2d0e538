"""``hubdir validate``: the exact report for every meaning check (the second layer)."""

# ruff: noqa: E501 - exact expected output lines are long by nature

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run
from tests.test_validate import HUB, put, summary

YC = """\
id: yc-x
name: 示例青年坊
division: "440606006001"
host: hub-rg-youth
sources:
  - title: 示例来源
"""

DIVISION = """\
id: "440606006003"
name: 示例社区
level: village
type: community
parent: "440606006"
sources:
  - title: 示例
"""

NANHAI = (
    DIVISION.replace('"440606006003"', '"440605"')
    .replace("level: village", "level: district")
    .replace("type: community", "type: district")
    .replace('parent: "440606006"', 'parent: "4406"')
)
NANHAI_TOWN = (
    DIVISION.replace('"440606006003"', '"440605011"')
    .replace("level: village", "level: town")
    .replace("type: community", "type: subdistrict")
    .replace('parent: "440606006"', 'parent: "440605"')
)
HUB_Y = HUB.replace("hub-x", "hub-y")
SECTOR_X = HUB.replace("level: town", "level: sector").replace("parent: hub-d-union", "parent: hub-y")
SECTOR_Y = HUB_Y.replace("level: town", "level: sector").replace("parent: hub-d-union", "parent: hub-x")
SO_DUP = (
    'id: hub-d-union\nname: 示例\norg_type: social_group\nhub: hub-rg-youth\ndivision: "440606006"\n'
    "sources:\n  - title: 示例来源\n"
)
TIP_CODE = "  提示：对照登记证书逐位核对，常见错误是 O/0、I/1 混淆。"
TIP_PHONE = '  提示：固定电话带区号，如 "0757-22223333"；热线如 "12338"；须加引号。'
TIP_MOBILE = "  提示：个人手机号不宜公开；如确为公开办公电话，请写在 contacts 的 office_phone 或 hotline 中。"

CASES: dict[str, tuple[list[tuple[str, str]], list[str], int, int]] = {
    "id_differs_from_file_name": (
        [("content/hubs/hub-y.yml", HUB)],
        [
            "content/hubs/hub-y.yml:1:5: error M001: 编号“hub-x”与文件名“hub-y”不一致",
            "  提示：把文件改名为 hub-x.yml，或把 id 改成 hub-y（已发布的编号不能改）。",
        ],
        1,
        0,
    ),
    "duplicate_id_across_registries": (
        [("content/social_orgs/hub-d-union.yml", SO_DUP)],
        [
            "content/social_orgs/hub-d-union.yml:1:5: error M002: 编号“hub-d-union”重复（content/hubs/hub-d-union.yml 已使用）",
            "  提示：为新记录换一个未使用的编号；`hubdir new` 会自动分配。",
        ],
        1,
        0,
    ),
    "dangling_reference": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union", "parent: hub-nope"))],
        [
            "content/hubs/hub-x.yml:6:9: error M004: 找不到 hubs 中编号为“hub-nope”的记录",
            "  提示：检查拼写，或先添加被引用的记录。",
        ],
        1,
        0,
    ),
    "reference_into_the_wrong_registry": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union", "parent: yc-gz"))],
        [
            "content/hubs/hub-x.yml:6:9: error M003: “yc-gz”是 youth_centers 中的记录，这里需要 hubs 中的记录",
            "  提示：检查编号是否填错了字段。",
        ],
        1,
        0,
    ),
    "hierarchy_cycle": (
        [("content/hubs/hub-x.yml", SECTOR_X), ("content/hubs/hub-y.yml", SECTOR_Y)],
        [
            "content/hubs/hub-x.yml:6:9: error M010: 上级组织形成循环：hub-x → hub-y → hub-x",
            "  提示：检查 parent：上级组织不能是自己或自己的下级。",
        ],
        1,
        0,
    ),
    "self_parent": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union", "parent: hub-x"))],
        [
            "content/hubs/hub-x.yml:6:9: error M010: 上级组织形成循环：hub-x → hub-x",
            "  提示：检查 parent：上级组织不能是自己或自己的下级。",
        ],
        1,
        0,
    ),
    "level_not_below_parent": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union", "parent: hub-rg-union"))],
        [
            "content/hubs/hub-x.yml:6:9: error M011: 层级“镇（街道）级”不低于上级组织 hub-rg-union 的层级“镇（街道）级”",
            "  提示：上级组织须在更高一级（区 → 镇街 → 村居 → 单位）。",
        ],
        1,
        0,
    ),
    "division_of_the_wrong_level": (
        [("content/youth_centers/yc-x.yml", YC.replace('"440606006001"', '"440606006"'))],
        [
            "content/youth_centers/yc-x.yml:3:11: error M007: 区划 440606006 是“镇（街道）”级，这里需要“村（社区）”级区划",
            "  提示：填写对应层级的区划代码（省 2 位、市 4 位、区县 6 位、镇街 9 位、村居 12 位）。",
        ],
        1,
        0,
    ),
    "division_missing": (
        [("content/youth_centers/yc-x.yml", YC.replace('"440606006001"', '"440606006999"'))],
        [
            "content/youth_centers/yc-x.yml:3:11: error M004: 找不到 divisions 中编号为“440606006999”的记录",
            "  提示：检查拼写，或先添加被引用的记录。",
        ],
        1,
        0,
    ),
    "division_outside_the_parent_hub": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB.replace("level: town", "level: village")
                .replace('"440606006"', '"440606005001"')
                .replace("hub-d-union", "hub-rg-union"),
            )
        ],
        [
            "content/hubs/hub-x.yml:5:11: error M013: 区划 440606005001 不在上级组织 hub-rg-union 的区划 440606006 之内",
            "  提示：检查 division 或 parent 是否填错。",
        ],
        1,
        0,
    ),
    "division_code_length_and_level": (
        [("content/divisions/440606006003.yml", DIVISION.replace("level: village", "level: town"))],
        [
            "content/divisions/440606006003.yml:3:8: error M005: 区划代码 440606006003 的位数与层级“镇（街道）”不符",
            "  提示：省 2 位、市 4 位、区县 6 位、镇街 9 位、村（社区）12 位。",
        ],
        1,
        0,
    ),
    "division_parent_not_higher": (
        [
            (
                "content/divisions/440606006003.yml",
                DIVISION.replace('parent: "440606006"', 'parent: "440606006001"'),
            )
        ],
        [
            "content/divisions/440606006003.yml:5:9: error M006: 区划 440606006003（村（社区））的上级 440606006001 是“村（社区）”，不在更高层级",
            "  提示：上级须是更高层级的区划（省 → 市 → 区县 → 镇街 → 村居）；东莞、中山的镇街上级是市。",
        ],
        1,
        0,
    ),
    "division_without_parent": (
        [("content/divisions/440606006003.yml", DIVISION.replace('parent: "440606006"\n', ""))],
        [
            "content/divisions/440606006003.yml:3:8: error M101: 村（社区）区划 440606006003 没有填写上级区划（parent）",
            "  提示：只有省级区划没有上级；填写上级区划代码，如镇街填所属区县，东莞、中山的镇街填市。",
        ],
        1,
        0,
    ),
    "division_outside_the_root": (
        [
            ("content/divisions/440605.yml", NANHAI),
            ("content/divisions/440605011.yml", NANHAI_TOWN),
        ],
        [
            "content/divisions/440605.yml:5:9: error M102: 区划 440605 不在名录范围 440606（顺德区）之内",
            "  提示：沿 parent 向上找不到名录的根区划：检查 parent 是否填错；名录之外的区划不要放进 content/divisions/。",
            "content/divisions/440605011.yml:5:9: error M102: 区划 440605011 不在名录范围 440606（顺德区）之内",
            "  提示：沿 parent 向上找不到名录的根区划：检查 parent 是否填错；名录之外的区划不要放进 content/divisions/。",
        ],
        2,
        0,
    ),
    # containment follows parent links, not code prefixes: a village filed under another town is fine
    "division_parent_of_another_prefix": (
        [
            (
                "content/divisions/440606006003.yml",
                DIVISION.replace('parent: "440606006"', 'parent: "440606005"'),
            )
        ],
        [],
        0,
        0,
    ),
    "carrier_under_the_wrong_kind_of_hub": (
        [("content/youth_centers/yc-x.yml", YC.replace("hub-rg-youth", "hub-rg-women"))],
        [
            "content/youth_centers/yc-x.yml:4:7: error M015: hub-rg-women 属于“妇联”，这里需要“共青团”的组织",
            "  提示：青年坊由共青团组织主办，妇女之家由妇联主管。",
        ],
        1,
        0,
    ),
    "unknown_hub_kind": (
        [("content/hubs/hub-x.yml", HUB.replace("kind: trade_union", "kind: trade_unoin"))],
        [
            "content/hubs/hub-x.yml:3:7: error M008: 组织类别“trade_unoin”未在 site_config.yml 中定义",
            "  提示：是否想写“trade_union”？可选值：disabled_persons_federation, federation_of_commerce, trade_union,"
            " womens_federation, youth_league",
            "content/hubs/hub-x.yml:6:9: warning M012: 类别“trade_unoin”与上级组织 hub-d-union 的类别“工会”不同",
            "  提示：通常上级是同一系统的组织（如镇妇联的上级是区妇联）。",
        ],
        1,
        1,
    ),
    "parent_of_another_kind": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union", "parent: hub-d-women"))],
        [
            "content/hubs/hub-x.yml:6:9: warning M012: 类别“工会”与上级组织 hub-d-women 的类别“妇联”不同",
            "  提示：通常上级是同一系统的组织（如镇妇联的上级是区妇联）。",
        ],
        0,
        1,
    ),
    "town_hub_without_parent": (
        [("content/hubs/hub-x.yml", HUB.replace("parent: hub-d-union\n", ""))],
        [
            "content/hubs/hub-x.yml:4:8: warning M009: 镇（街道）级组织没有填写上级组织（parent）",
            "  提示：填写上级枢纽组织的编号。",
        ],
        0,
        1,
    ),
    "uscc_bad_check_character": (
        [("content/hubs/hub-x.yml", HUB + 'uscc: "81440606MC00000112"\n')],
        [
            "content/hubs/hub-x.yml:9:7: error M023: 统一社会信用代码 81440606MC00000112 校验位不正确",
            TIP_CODE,
        ],
        1,
        0,
    ),
    "uscc_outside_foshan": (
        [("content/hubs/hub-x.yml", HUB + 'uscc: "51440100MJ0000030Y"\n')],
        [
            "content/hubs/hub-x.yml:9:7: error M024: 统一社会信用代码 51440100MJ0000030Y 的登记机关区划 440100 不在本市（4406）",
            "  提示：核对代码；名录只收录本市登记的组织。",
        ],
        1,
        0,
    ),
    "uscc_used_twice": (
        [("content/hubs/hub-x.yml", HUB + 'uscc: "81440606MC00000111"\n')],
        [
            "content/hubs/hub-x.yml:9:7: error M034: 统一社会信用代码 81440606MC00000111 已被 hub-d-union"
            "（content/hubs/hub-d-union.yml）使用",
            "  提示：一个代码只对应一个组织：核对两条记录是否重复，或是否抄错了代码。",
        ],
        1,
        0,
    ),
    "coordinates_outside_the_district": (
        [("content/hubs/hub-x.yml", HUB + "location:\n  lat: 23.1291\n  lon: 113.2644\n")],
        [
            "content/hubs/hub-x.yml:10:3: error M025: 坐标（23.1291, 113.2644）不在顺德区范围内",
            "  提示：请使用 WGS-84 坐标（纬度约 22.6–23.05，经度约 112.95–113.42）。",
        ],
        1,
        0,
    ),
    "coordinates_swapped": (
        [("content/hubs/hub-x.yml", HUB + "location:\n  lat: 113.2644\n  lon: 22.8\n")],
        [
            "content/hubs/hub-x.yml:10:3: error M026: 坐标（113.2644, 22.8）的经纬度写反了",
            "  提示：lat 是纬度（约 22.825），lon 是经度（约 113.185）。",
            "content/hubs/hub-x.yml:10:8: error S006: “location.lat”不能大于 90：113.2644",
            "  提示：按字段说明修改。",
        ],
        2,
        0,
    ),
    "malformed_phones": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + 'contacts:\n  - type: office_phone\n    value: "22223333"\n'
                '  - type: fax\n    value: "13812345678"\n  - type: hotline\n    value: "0757-123"\n',
            )
        ],
        [
            "content/hubs/hub-x.yml:11:12: error M027: 电话号码“22223333”格式不对",
            TIP_PHONE,
            "content/hubs/hub-x.yml:13:12: error M027: 电话号码“13812345678”格式不对",
            TIP_PHONE,
            "content/hubs/hub-x.yml:13:12: warning M031: 非办公电话字段中出现手机号码（138****5678）",
            TIP_MOBILE,
            "content/hubs/hub-x.yml:15:12: error M027: 电话号码“0757-123”格式不对",
            TIP_PHONE,
        ],
        3,
        1,
    ),
    "malformed_email_and_website": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + "contacts:\n  - type: email\n"
                "    value: office.example.org\n  - type: website\n    value: www.example.org\n",
            )
        ],
        [
            "content/hubs/hub-x.yml:11:12: error M028: 电子邮箱“office.example.org”格式不对",
            '  提示：例如 "office@example.org"。',
            "content/hubs/hub-x.yml:13:12: error M029: 网址“www.example.org”格式不对",
            "  提示：须以 http:// 或 https:// 开头。",
        ],
        2,
        0,
    ),
    "resident_id_number_anywhere": (
        [("content/hubs/hub-x.yml", HUB + "address: 负责人身份证 440606199001011232\n")],
        [
            "content/hubs/hub-x.yml:9:10: error M030: 发现居民身份证号码（440606********1232）",
            "  提示：公开名录不得包含身份证号码：删除它。",
        ],
        1,
        0,
    ),
    "mobile_outside_public_phone_fields": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + "address: 联系 13812345678\ncontacts:\n"
                '  - type: office_phone\n    value: "13812345679"\n',
            )
        ],
        [
            "content/hubs/hub-x.yml:9:10: warning M031: 非办公电话字段中出现手机号码（138****5678）",
            TIP_MOBILE,
        ],
        0,
        1,
    ),
    "dates_out_of_order": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + 'established_on: "2020-01-01"\nstatus: dissolved\n'
                'dissolved_on: "2019-12-31"\nsuccessor: hub-rg-union\nlast_verified: "2019-06-01"\n',
            )
        ],
        [
            "content/hubs/hub-x.yml:11:15: error M022: dissolved_on 2019-12-31 早于 established_on 2020-01-01",
            "  提示：检查两个日期的先后。",
            "content/hubs/hub-x.yml:13:16: error M022: last_verified 2019-06-01 早于 established_on 2020-01-01",
            "  提示：检查两个日期的先后。",
        ],
        2,
        0,
    ),
    "impossible_and_future_dates": (
        [("content/hubs/hub-x.yml", HUB + 'established_on: "2023-02-30"\nlast_verified: "2999-01-01"\n')],
        [
            "content/hubs/hub-x.yml:9:17: error M020: 日期“2023-02-30”不存在",
            "  提示：检查月份和日期，例如 2月没有 30 日。",
            "content/hubs/hub-x.yml:10:16: error M021: 日期“2999-01-01”晚于今天",
            "  提示：检查年份是否写错。",
        ],
        2,
        0,
    ),
    "merged_without_successor": (
        [("content/hubs/hub-x.yml", HUB + "status: merged\n")],
        [
            "content/hubs/hub-x.yml:9:9: error M017: 状态为“已合并”的记录须填写继任组织 successor",
            "  提示：填写合并后组织的编号。",
            "content/hubs/hub-x.yml:9:9: error M019: 状态为“已合并”的记录须填写撤销日期 dissolved_on",
            "  提示：填写撤销或合并的日期（YYYY-MM-DD）。",
        ],
        2,
        0,
    ),
    "successor_missing": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + 'status: merged\nsuccessor: hub-gone\ndissolved_on: "2020-01-01"\n',
            )
        ],
        [
            "content/hubs/hub-x.yml:10:12: error M004: 找不到 hubs 中编号为“hub-gone”的记录",
            "  提示：检查拼写，或先添加被引用的记录。",
        ],
        1,
        0,
    ),
    "successor_not_active": (
        [
            (
                "content/hubs/hub-x.yml",
                HUB + 'status: merged\nsuccessor: hub-dl-old-union\ndissolved_on: "2020-01-01"\n',
            )
        ],
        [
            "content/hubs/hub-x.yml:10:12: warning M036: 继任组织 hub-dl-old-union 的状态是“已合并”",
            "  提示：successor 应指向仍在运作的记录；如它也已合并，请改填最终的继任组织。",
        ],
        0,
        1,
    ),
    "dissolved_without_successor": (
        [("content/hubs/hub-x.yml", HUB + 'status: dissolved\ndissolved_on: "2020-01-01"\n')],
        [
            "content/hubs/hub-x.yml:9:9: warning M018: 已撤销的记录没有填写继任组织",
            "  提示：如有承接其职能的组织，请填写 successor。",
        ],
        0,
        1,
    ),
    "active_with_successor": (
        [("content/hubs/hub-x.yml", HUB + "successor: hub-rg-union\n")],
        [
            "content/hubs/hub-x.yml:9:1: error M016: 状态为正常运作的记录不应有“successor”",
            "  提示：删除该字段，或把 status 改为 dissolved / merged。",
        ],
        1,
        0,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_meaning_check(run: Run, project: Path, case: str) -> None:
    files, expected, errors, warnings = CASES[case]
    paths = [str(put(project, rel, text)) for rel, text in files]
    result = run(project, "validate", *paths)
    assert result.output == "\n".join([*expected, summary(project, errors, warnings)]) + "\n"
    assert result.exit_code == (1 if errors else 0)


EN_CASES = {
    "division_of_the_wrong_level": [
        'content/youth_centers/yc-x.yml:3:11: error M007: Division 440606006 is at level "Town / subdistrict";'
        ' a "Village / community" division is needed here',
        "  hint: Use a code of the right level (2 digits province, 4 city, 6 county, 9 town, 12 village/community).",
    ],
    "division_parent_not_higher": [
        "content/divisions/440606006003.yml:5:9: error M006: Division 440606006003 (Village / community) has parent"
        ' 440606006001 at level "Village / community", which is not higher',
        "  hint: The parent must be a division at a higher level (province → city → county → town → village);"
        " the towns of Dongguan and Zhongshan have the city as parent.",
    ],
    "division_without_parent": [
        'content/divisions/440606006003.yml:3:8: error M101: Division 440606006003 at level "Village / community"'
        " has no parent",
        "  hint: Only a province has no parent; give the parent's code (a town's county, or the city for Dongguan"
        " and Zhongshan).",
    ],
    "division_outside_the_root": [
        "content/divisions/440605.yml:5:9: error M102: Division 440605 is outside the directory's root 440606"
        " (Shunde District)",
        "  hint: Following parent upwards never reaches the root: check parent; divisions outside the directory do"
        " not belong in content/divisions/.",
        "content/divisions/440605011.yml:5:9: error M102: Division 440605011 is outside the directory's root 440606"
        " (Shunde District)",
        "  hint: Following parent upwards never reaches the root: check parent; divisions outside the directory do"
        " not belong in content/divisions/.",
    ],
    "merged_without_successor": [
        'content/hubs/hub-x.yml:9:9: error M017: A record with status "Merged" must name its successor',
        "  hint: Give the ID of the organization it merged into.",
        'content/hubs/hub-x.yml:9:9: error M019: A record with status "Merged" must give dissolved_on',
        "  hint: Give the date of dissolution or merger (YYYY-MM-DD).",
    ],
    "resident_id_number_anywhere": [
        "content/hubs/hub-x.yml:9:10: error M030: A resident ID number was found (440606********1232)",
        "  hint: A public directory must not hold ID numbers: delete it.",
    ],
    "town_hub_without_parent": [
        'content/hubs/hub-x.yml:4:8: warning M009: A hub at level "Town / subdistrict" has no parent hub',
        "  hint: Give the ID of its parent hub.",
    ],
}


@pytest.mark.parametrize("case", sorted(EN_CASES))
def test_meaning_check_in_english(run: Run, project: Path, case: str) -> None:
    files, _, errors, warnings = CASES[case]
    paths = [str(put(project, rel, text)) for rel, text in files]
    result = run(project, "validate", *paths, "--lang", "en")
    assert result.output == "\n".join([*EN_CASES[case], summary(project, errors, warnings, "en")]) + "\n"


def test_strict_turns_warnings_into_failure(run: Run, project: Path) -> None:
    files, _, _, _ = CASES["town_hub_without_parent"]
    paths = [str(put(project, rel, text)) for rel, text in files]
    assert run(project, "validate", *paths).exit_code == 0
    assert run(project, "validate", *paths, "--strict").exit_code == 1
