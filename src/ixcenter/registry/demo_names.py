"""The tables behind the demo exchange: geography, facilities, switch models and name parts.

Everything here is plain data. Places and coordinates are real (city centres, rounded); facilities,
organisations and brands are invented, so no real company is described by the demo. See
``demo_data`` for how the tables are used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ixcenter.core.kinds import OrgCategory


@dataclass(frozen=True, slots=True)
class Site:
    """A city where an exchange center may have a node, and the facility it sits in."""

    code: str
    city: str
    province: str
    latitude: float
    longitude: float
    facility: str


@dataclass(frozen=True, slots=True)
class CenterPlan:
    """One exchange center of the demo: the first site is its main node."""

    code: str
    name: str
    city: str
    province: str
    sites: tuple[Site, ...]
    weight: float  # share of the members that connect here


CENTERS: tuple[CenterPlan, ...] = (
    CenterPlan(
        "BJIX",
        "Beijing Internet Exchange Center",
        "Beijing",
        "Beijing",
        (
            Site("BJ-YZ", "Beijing", "Beijing", 39.79, 116.51, "Yizhuang Data Park, Hall 3"),
            Site("BJ-TJ", "Tianjin", "Tianjin", 39.08, 117.20, "Binhai Cloud Campus, Building B"),
            Site("BJ-LF", "Langfang", "Hebei", 39.54, 116.68, "Langfang Development Zone DC 2"),
            Site("BJ-ZJK", "Zhangjiakou", "Hebei", 40.77, 114.88, "Zhangbei Green Computing Park"),
        ),
        0.37,
    ),
    CenterPlan(
        "SHIX",
        "Shanghai Internet Exchange Center",
        "Shanghai",
        "Shanghai",
        (
            Site("SH-PD", "Shanghai", "Shanghai", 31.22, 121.54, "Pudong Waigaoqiao IDC, Floor 4"),
            Site("SH-SZ", "Suzhou", "Jiangsu", 31.30, 120.58, "Suzhou Industrial Park Data Hub"),
            Site("SH-HZ", "Hangzhou", "Zhejiang", 30.27, 120.16, "Xiasha Cloud Valley DC 1"),
            Site("SH-NJ", "Nanjing", "Jiangsu", 32.06, 118.80, "Jiangning Data Harbour, Hall A"),
        ),
        0.36,
    ),
    CenterPlan(
        "GDIX",
        "Guangdong Internet Exchange Center",
        "Guangzhou",
        "Guangdong",
        (
            Site("GD-GZ", "Guangzhou", "Guangdong", 23.13, 113.26, "Huangpu Science City IDC"),
            Site("GD-SZ", "Shenzhen", "Guangdong", 22.54, 114.06, "Qianhai Bay Data Center 2"),
            Site("GD-DG", "Dongguan", "Guangdong", 23.02, 113.75, "Songshan Lake Compute Park"),
            Site("GD-FS", "Foshan", "Guangdong", 23.02, 113.12, "Nanhai Carrier Hotel, Floor 2"),
        ),
        0.27,
    ),
)

# The far end of the cross-border channel: an invented exchange in Singapore.
FOREIGN_EXCHANGE = "Straits Internet Exchange (Singapore)"
FOREIGN_COUNTRY = "SG"
FOREIGN_LATITUDE, FOREIGN_LONGITUDE = 1.29, 103.85

# (manufacturer, model) of exchange switches.
SWITCH_MODELS: tuple[tuple[str, str], ...] = (
    ("Huawei", "CloudEngine 16804"),
    ("H3C", "S12508G-AF"),
    ("Ruijie", "RG-N18010-X"),
    ("ZTE", "ZXR10 9908"),
)

# Interface name prefix per port speed (Mbit/s), in the Huawei/H3C style.
PORT_PREFIX: dict[int, str] = {1_000: "GE", 10_000: "XGE", 100_000: "100GE", 400_000: "400GE"}

# Unicast OUIs of router vendors (Huawei, Cisco, Juniper, Arista, H3C, ZTE, Nokia).
ROUTER_OUIS: tuple[str, ...] = (
    "00:e0:fc",
    "00:1b:54",
    "00:05:85",
    "28:99:3a",
    "00:0f:e2",
    "00:19:c6",
    "00:16:4d",
)

# Invented brand words: pinyin for Chinese members, English for international networks.
BRANDS: tuple[str, ...] = (
    "Tianyun",
    "Huaxin",
    "Zhongke",
    "Xinhai",
    "Jinqiao",
    "Changjiang",
    "Donghai",
    "Yunhai",
    "Hongtu",
    "Ruixin",
    "Haotian",
    "Lianchuang",
    "Boyuan",
    "Xingchen",
    "Qianfan",
    "Mingda",
    "Shengshi",
    "Jiahe",
    "Longteng",
    "Zhiyuan",
    "Guangda",
    "Tongda",
    "Huayu",
    "Kaiyuan",
    "Weilan",
    "Chuangxin",
    "Jinghua",
    "Fengyun",
    "Hengtong",
    "Baixin",
    "Anxin",
    "Dingsheng",
    "Wanxiang",
    "Shuguang",
    "Yuntu",
    "Taihe",
    "Xunjie",
    "Zhongying",
    "Ronghe",
    "Lingyun",
)
FOREIGN_BRANDS: tuple[str, ...] = (
    "Bluewater",
    "Meridian",
    "Kestrel",
    "Halcyon",
    "Tidewave",
    "Sunda",
    "Everline",
    "Northgate",
    "Coralink",
    "Monsoon",
    "Skyreach",
    "Harbourlight",
    "Palisade",
    "Lumina",
    "Driftwood",
    "Archway",
    "Silverfern",
    "Orchid",
    "Saltmarsh",
    "Equinox",
)

# City -> administrative division code (GB/T 2260), the 3rd-8th characters of a licence number.
REGIONS: dict[str, str] = {
    "Beijing": "110108",
    "Tianjin": "120116",
    "Shijiazhuang": "130102",
    "Langfang": "131001",
    "Zhangjiakou": "130722",
    "Shanghai": "310115",
    "Hangzhou": "330106",
    "Suzhou": "320505",
    "Nanjing": "320115",
    "Hefei": "340104",
    "Guangzhou": "440112",
    "Shenzhen": "440305",
    "Dongguan": "441900",
    "Foshan": "440605",
    "Xiamen": "350203",
    "Wuhan": "420106",
    "Changsha": "430104",
    "Chengdu": "510107",
    "Chongqing": "500105",
    "Xi'an": "610113",
    "Jinan": "370102",
    "Qingdao": "370202",
    "Zhengzhou": "410105",
    "Wuxi": "320214",
    "Guiyang": "520111",
    "Kunming": "530102",
}
# Cities members are named after.
CITIES: tuple[str, ...] = tuple(
    c for c in REGIONS if c not in {"Langfang", "Zhangjiakou", "Foshan"}
)

FOREIGN_COUNTRIES: tuple[str, ...] = ("SG", "JP", "KR", "US", "DE", "GB", "NL", "MY", "AU", "FR")

# Name patterns per category; {brand} and {city} are filled in.
NAME_PATTERNS: dict[OrgCategory, tuple[str, ...]] = {
    OrgCategory.BASIC_CARRIER: (
        "{brand} Telecom Group Co., Ltd.",
        "{brand} Communications Corporation",
    ),
    OrgCategory.ISP: (
        "{city} {brand} Broadband Co., Ltd.",
        "{city} {brand} Network Technology Co., Ltd.",
        "{brand} Internet Service Provider Co., Ltd.",
    ),
    OrgCategory.VALUE_ADDED_TELECOM: (
        "{city} {brand} Information Services Co., Ltd.",
        "{brand} Satellite Internet Co., Ltd.",
        "{brand} CDN Technology Co., Ltd.",
    ),
    OrgCategory.CLOUD: (
        "{brand} Cloud Computing Co., Ltd.",
        "{brand} Cloud Technology Co., Ltd.",
    ),
    OrgCategory.CONTENT: (
        "{brand} Video Technology Co., Ltd.",
        "{brand} Interactive Entertainment Co., Ltd.",
        "{brand} E-commerce Co., Ltd.",
        "{brand} Media Group",
    ),
    OrgCategory.DATA_CENTER: (
        "{city} {brand} Data Center Co., Ltd.",
        "{brand} IDC Services Co., Ltd.",
    ),
    OrgCategory.AI_COMPUTING_CENTER: (
        "{city} Artificial Intelligence Computing Center",
        "{brand} Intelligent Computing Co., Ltd.",
    ),
    OrgCategory.SUPERCOMPUTING_CENTER: ("National Supercomputing Center in {city}",),
    OrgCategory.ENTERPRISE: (
        "{brand} Automotive Co., Ltd.",
        "{brand} Securities Co., Ltd.",
        "{brand} Logistics Group",
        "{city} {brand} Manufacturing Co., Ltd.",
        "{brand} Pharmaceutical Co., Ltd.",
    ),
    OrgCategory.GOVERNMENT_CLOUD: ("{city} E-Government Cloud Service Center",),
    OrgCategory.INTERNATIONAL_NETWORK: (
        "{brand} Global Networks",
        "{brand} Telecom International",
        "{brand} Networks Ltd.",
    ),
}
