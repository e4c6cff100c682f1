//! Morocco's administrative areas: the 12 regions and 75 provinces and prefectures of the 2015
//! division, by their real names, and communes. The communes of Khemisset province are the
//! real ones the founding report names; the others get plausible generated names.

use crate::people::slug;
use crate::rng::Rng;

pub(crate) struct RegionData {
    pub arabic: &'static str,
    pub latin: &'static str,
    pub provinces: &'static [ProvinceData],
}

pub(crate) struct ProvinceData {
    pub arabic: &'static str,
    pub latin: &'static str,
    pub prefecture: bool,
}

const fn province(latin: &'static str, arabic: &'static str) -> ProvinceData {
    ProvinceData {
        arabic,
        latin,
        prefecture: false,
    }
}

const fn prefecture(latin: &'static str, arabic: &'static str) -> ProvinceData {
    ProvinceData {
        arabic,
        latin,
        prefecture: true,
    }
}

pub(crate) const REGIONS: &[RegionData] = &[
    RegionData {
        arabic: "جهة طنجة تطوان الحسيمة",
        latin: "Tanger-Tétouan-Al Hoceïma",
        provinces: &[
            prefecture("Tanger-Assilah", "طنجة أصيلة"),
            prefecture("M'diq-Fnideq", "المضيق الفنيدق"),
            province("Tétouan", "تطوان"),
            province("Fahs-Anjra", "الفحص أنجرة"),
            province("Larache", "العرائش"),
            province("Al Hoceïma", "الحسيمة"),
            province("Chefchaouen", "شفشاون"),
            province("Ouezzane", "وزان"),
        ],
    },
    RegionData {
        arabic: "جهة الشرق",
        latin: "L'Oriental",
        provinces: &[
            prefecture("Oujda-Angad", "وجدة أنكاد"),
            province("Nador", "الناظور"),
            province("Driouch", "الدريوش"),
            province("Jerada", "جرادة"),
            province("Berkane", "بركان"),
            province("Taourirt", "تاوريرت"),
            province("Guercif", "جرسيف"),
            province("Figuig", "فجيج"),
        ],
    },
    RegionData {
        arabic: "جهة فاس مكناس",
        latin: "Fès-Meknès",
        provinces: &[
            prefecture("Fès", "فاس"),
            prefecture("Meknès", "مكناس"),
            province("El Hajeb", "الحاجب"),
            province("Ifrane", "إفران"),
            province("Moulay Yacoub", "مولاي يعقوب"),
            province("Sefrou", "صفرو"),
            province("Boulemane", "بولمان"),
            province("Taounate", "تاونات"),
            province("Taza", "تازة"),
        ],
    },
    RegionData {
        arabic: "جهة الرباط سلا القنيطرة",
        latin: "Rabat-Salé-Kénitra",
        provinces: &[
            prefecture("Rabat", "الرباط"),
            prefecture("Salé", "سلا"),
            prefecture("Skhirate-Témara", "الصخيرات تمارة"),
            province("Kénitra", "القنيطرة"),
            province("Khémisset", "الخميسات"),
            province("Sidi Kacem", "سيدي قاسم"),
            province("Sidi Slimane", "سيدي سليمان"),
        ],
    },
    RegionData {
        arabic: "جهة بني ملال خنيفرة",
        latin: "Béni Mellal-Khénifra",
        provinces: &[
            province("Béni Mellal", "بني ملال"),
            province("Azilal", "أزيلال"),
            province("Fquih Ben Salah", "الفقيه بن صالح"),
            province("Khénifra", "خنيفرة"),
            province("Khouribga", "خريبكة"),
        ],
    },
    RegionData {
        arabic: "جهة الدار البيضاء سطات",
        latin: "Casablanca-Settat",
        provinces: &[
            prefecture("Casablanca", "الدار البيضاء"),
            prefecture("Mohammedia", "المحمدية"),
            province("El Jadida", "الجديدة"),
            province("Nouaceur", "النواصر"),
            province("Médiouna", "مديونة"),
            province("Benslimane", "بنسليمان"),
            province("Berrechid", "برشيد"),
            province("Settat", "سطات"),
            province("Sidi Bennour", "سيدي بنور"),
        ],
    },
    RegionData {
        arabic: "جهة مراكش آسفي",
        latin: "Marrakech-Safi",
        provinces: &[
            prefecture("Marrakech", "مراكش"),
            province("Chichaoua", "شيشاوة"),
            province("Al Haouz", "الحوز"),
            province("El Kelâa des Sraghna", "قلعة السراغنة"),
            province("Essaouira", "الصويرة"),
            province("Rehamna", "الرحامنة"),
            province("Safi", "آسفي"),
            province("Youssoufia", "اليوسفية"),
        ],
    },
    RegionData {
        arabic: "جهة درعة تافيلالت",
        latin: "Drâa-Tafilalet",
        provinces: &[
            province("Errachidia", "الرشيدية"),
            province("Ouarzazate", "ورزازات"),
            province("Midelt", "ميدلت"),
            province("Tinghir", "تنغير"),
            province("Zagora", "زاكورة"),
        ],
    },
    RegionData {
        arabic: "جهة سوس ماسة",
        latin: "Souss-Massa",
        provinces: &[
            prefecture("Agadir Ida-Outanane", "أكادير إداوتنان"),
            prefecture("Inezgane-Aït Melloul", "إنزكان آيت ملول"),
            province("Chtouka-Aït Baha", "اشتوكة آيت باها"),
            province("Taroudant", "تارودانت"),
            province("Tiznit", "تيزنيت"),
            province("Tata", "طاطا"),
        ],
    },
    RegionData {
        arabic: "جهة كلميم واد نون",
        latin: "Guelmim-Oued Noun",
        provinces: &[
            province("Guelmim", "كلميم"),
            province("Assa-Zag", "أسا الزاك"),
            province("Tan-Tan", "طانطان"),
            province("Sidi Ifni", "سيدي إفني"),
        ],
    },
    RegionData {
        arabic: "جهة العيون الساقية الحمراء",
        latin: "Laâyoune-Sakia El Hamra",
        provinces: &[
            province("Laâyoune", "العيون"),
            province("Boujdour", "بوجدور"),
            province("Tarfaya", "طرفاية"),
            province("Es-Semara", "السمارة"),
        ],
    },
    RegionData {
        arabic: "جهة الداخلة وادي الذهب",
        latin: "Dakhla-Oued Ed-Dahab",
        provinces: &[
            province("Oued Ed-Dahab", "وادي الذهب"),
            province("Aousserd", "أوسرد"),
        ],
    },
];

/// The communes of Khemisset province named in the founding report.
const KHEMISSET_COMMUNES: &[(&str, &str)] = &[
    ("المعازيز", "Maaziz"),
    ("الخميسات", "Khemisset"),
    ("القنصرة", "El Ganzra"),
    ("آيت يدين", "Ait Yadine"),
    ("آيت يكو", "Ait Ikkou"),
    ("حودران", "Houderrane"),
    ("والماس", "Oulmès"),
    ("تيفلت", "Tiflet"),
    ("آيت واحي", "Ait Ouahi"),
    ("الرماني", "Rommani"),
    ("مولاي إدريس أغبال", "Moulay Driss Aghbal"),
    ("مجمع الطلبة", "Majmaa Tolba"),
    ("الصفاصيف", "Sfassif"),
];

/// First words of Moroccan place names (tribe, saint, spring, market day...).
const PLACE_HEADS: &[(&str, &str)] = &[
    ("آيت", "Aït"),
    ("سيدي", "Sidi"),
    ("أولاد", "Oulad"),
    ("عين", "Aïn"),
    ("بني", "Bni"),
    ("سبت", "Sebt"),
    ("حد", "Had"),
    ("اثنين", "Tnine"),
    ("خميس", "Khemis"),
    ("جمعة", "Jemaa"),
    ("تيزي", "Tizi"),
    ("دار", "Dar"),
];

const PLACE_TAILS: &[(&str, &str)] = &[
    ("علي", "Ali"),
    ("بوزيد", "Bouzid"),
    ("يحيى", "Yahya"),
    ("موسى", "Moussa"),
    ("عبد الله", "Abdellah"),
    ("بوبكر", "Boubker"),
    ("أحمد", "Ahmed"),
    ("رحال", "Rahal"),
    ("علال", "Allal"),
    ("سعيد", "Said"),
    ("عمرو", "Amrou"),
    ("يوسف", "Youssef"),
    ("حمو", "Hammou"),
    ("ملول", "Melloul"),
    ("باها", "Baha"),
    ("عميرة", "Amira"),
    ("الطالب", "Taleb"),
    ("مسعود", "Messaoud"),
    ("بلقاسم", "Belkacem"),
    ("إسماعيل", "Ismail"),
    ("عياد", "Ayad"),
    ("فرج", "Frej"),
    ("غانم", "Ghanem"),
    ("عمران", "Amrane"),
    ("المكي", "El Mekki"),
    ("الشيخ", "Cheikh"),
    ("الواد", "El Oued"),
    ("الجبل", "El Jebel"),
    ("الغابة", "Lghaba"),
    ("تازة", "Taza"),
];

pub(crate) struct CommuneName {
    pub arabic: String,
    pub latin: String,
}

/// The `count` communes of one province, distinct within it. For Khemisset the real names
/// come first.
pub(crate) fn commune_names(
    rng: &mut Rng,
    province: &ProvinceData,
    count: usize,
) -> Vec<CommuneName> {
    let mut names: Vec<CommuneName> = Vec::with_capacity(count);
    if province.latin == "Khémisset" {
        let real = KHEMISSET_COMMUNES.iter().take(count);
        names.extend(real.map(|(arabic, latin)| CommuneName {
            arabic: (*arabic).to_owned(),
            latin: (*latin).to_owned(),
        }));
    }
    let combinations = PLACE_HEADS.len() * PLACE_TAILS.len();
    while names.len() < count {
        let ordinal = names.len() / combinations;
        let (head, tail) = (rng.pick(PLACE_HEADS), rng.pick(PLACE_TAILS));
        let (arabic, latin) = match ordinal {
            0 => (
                format!("{} {}", head.0, tail.0),
                format!("{} {}", head.1, tail.1),
            ),
            // More communes than combinations: number them, as "Sidi Ali 2".
            n => (
                format!("{} {} {}", head.0, tail.0, n + 1),
                format!("{} {} {}", head.1, tail.1, n + 1),
            ),
        };
        if names.iter().all(|name| name.latin != latin) {
            names.push(CommuneName { arabic, latin });
        }
    }
    names
}

/// Communes per province, proportional to a rough weight (prefectures are mostly urban and
/// have few communes), at least one each, `total` in all.
pub(crate) fn communes_per_province(provinces: &[&ProvinceData], total: usize) -> Vec<usize> {
    let weight = |province: &ProvinceData| if province.prefecture { 4 } else { 22 };
    let weights: Vec<usize> = provinces.iter().map(|province| weight(province)).collect();
    let sum: usize = weights.iter().sum();
    let spare = total.saturating_sub(provinces.len());
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|weight| 1 + spare * weight / sum)
        .collect();
    let mut index = 0;
    while counts.iter().sum::<usize>() < total.max(provinces.len()) {
        counts[index % provinces.len()] += 1;
        index += 1;
    }
    counts
}

pub(crate) fn area_slug(latin: &str) -> String {
    slug(latin)
}
