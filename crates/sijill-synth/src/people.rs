//! Moroccan personal names in Arabic script and their Latin (French-style) transliterations.
//!
//! Each entry is the Arabic spelling as usually printed, then its Latin spellings, most
//! common first. Real registries hold several spellings of one name in both scripts (the
//! seed report prints `امينة` where a form would say `أمينة`); [`PersonName`] reproduces that.

use crate::rng::Rng;

/// An Arabic name with its Latin spellings, most common first.
pub(crate) type Spellings = (&'static str, &'static [&'static str]);

pub(crate) const MALE_GIVEN: &[Spellings] = &[
    ("محمد", &["Mohamed", "Mohammed", "Mohammad"]),
    ("أحمد", &["Ahmed", "Ahmad"]),
    ("عبد الله", &["Abdellah", "Abdallah", "Abdullah"]),
    ("يوسف", &["Youssef", "Youssouf", "Yousef"]),
    ("حسن", &["Hassan", "Hasan"]),
    ("الحسين", &["El Houssine", "Lhoussine", "Houcine"]),
    ("لحسن", &["Lahcen", "Lahsen"]),
    ("إبراهيم", &["Brahim", "Ibrahim"]),
    ("عبد الرحيم", &["Abderrahim", "Abderahim"]),
    ("عبد العزيز", &["Abdelaziz", "Abdel Aziz"]),
    ("عبد السلام", &["Abdeslam", "Abdessalam"]),
    ("عبد الكريم", &["Abdelkrim", "Abdelkarim"]),
    ("عبد اللطيف", &["Abdellatif", "Abdelatif"]),
    ("عبد الحق", &["Abdelhak", "Abdelhaq"]),
    ("عبد الرحمان", &["Abderrahmane", "Abderrahman"]),
    ("عبد الإله", &["Abdelilah", "Abdelillah"]),
    ("عبد الواحد", &["Abdelouahed", "Abdelwahed"]),
    ("مصطفى", &["Mustapha", "Moustafa", "Mostafa"]),
    ("خالد", &["Khalid", "Khaled"]),
    ("كريم", &["Karim", "Kareem"]),
    ("رشيد", &["Rachid", "Rashid"]),
    ("سعيد", &["Said", "Saïd", "Saeed"]),
    ("عزيز", &["Aziz"]),
    ("إدريس", &["Driss", "Idriss", "Idris"]),
    ("عمر", &["Omar", "Amar"]),
    ("علي", &["Ali"]),
    ("المهدي", &["El Mahdi", "Mehdi"]),
    ("هشام", &["Hicham", "Hisham"]),
    ("نبيل", &["Nabil"]),
    ("جمال", &["Jamal", "Djamal"]),
    ("نور الدين", &["Noureddine", "Nour Eddine"]),
    ("عادل", &["Adil", "Adel"]),
    ("أنس", &["Anas"]),
    ("أيوب", &["Ayoub", "Ayyoub"]),
    ("حميد", &["Hamid"]),
    ("الحبيب", &["El Habib", "Habib", "Lahbib"]),
    ("العربي", &["Larbi", "El Arbi"]),
    ("الجيلالي", &["Jilali", "Djilali", "El Jilali"]),
    ("بوشعيب", &["Bouchaib", "Bouchaïb"]),
    ("المختار", &["El Mokhtar", "Mokhtar"]),
    ("التهامي", &["Touhami", "Thami"]),
    ("ياسين", &["Yassine", "Yacine"]),
    ("إسماعيل", &["Ismail", "Smail", "Ismaïl"]),
    ("عثمان", &["Othmane", "Otmane"]),
    ("زكرياء", &["Zakaria", "Zakariae"]),
    ("طارق", &["Tarik", "Tariq"]),
    ("سفيان", &["Soufiane", "Sofiane"]),
    ("أشرف", &["Achraf", "Ashraf"]),
    ("الطيب", &["Tayeb", "Taïeb"]),
    ("فؤاد", &["Fouad"]),
    ("منير", &["Mounir"]),
    ("جواد", &["Jaouad", "Jawad"]),
    ("توفيق", &["Taoufik", "Tawfiq"]),
    ("عبد المجيد", &["Abdelmajid", "Abdelmjid"]),
    ("مولاي", &["Moulay"]),
    ("محسن", &["Mohcine", "Mohsine"]),
    ("إلياس", &["Ilyas", "Ilias"]),
    ("بدر", &["Badr", "Badre"]),
    ("حمزة", &["Hamza"]),
    ("عبد الغني", &["Abdelghani", "Abdelghany"]),
];

pub(crate) const FEMALE_GIVEN: &[Spellings] = &[
    ("فاطمة", &["Fatima", "Fatma", "Fatema"]),
    ("خديجة", &["Khadija", "Khadidja"]),
    ("أمينة", &["Amina", "Aminah"]),
    ("نادية", &["Nadia"]),
    ("سعاد", &["Souad", "Suad"]),
    ("جميلة", &["Jamila", "Djamila"]),
    ("كلثوم", &["Kaltoum", "Keltoum"]),
    ("سارة", &["Sara", "Sarah"]),
    ("مريم", &["Meryem", "Maryem", "Mariam"]),
    ("زينب", &["Zineb", "Zaynab"]),
    ("حياة", &["Hayat"]),
    ("لطيفة", &["Latifa", "Latefa"]),
    ("نعيمة", &["Naima", "Naïma"]),
    ("رشيدة", &["Rachida", "Rashida"]),
    ("مليكة", &["Malika"]),
    ("حفيظة", &["Hafida", "Hafiza"]),
    ("سميرة", &["Samira"]),
    ("إيمان", &["Imane", "Iman"]),
    ("هند", &["Hind"]),
    ("أسماء", &["Asmae", "Asmaa"]),
    ("ليلى", &["Leila", "Laila", "Layla"]),
    ("وفاء", &["Wafae", "Wafaa"]),
    ("نزهة", &["Nezha", "Nozha"]),
    ("عائشة", &["Aicha", "Aïcha"]),
    ("حنان", &["Hanane", "Hanan"]),
    ("سلمى", &["Salma"]),
    ("بشرى", &["Bouchra", "Bushra"]),
    ("زهرة", &["Zahra", "Zohra"]),
    ("ربيعة", &["Rabia", "Rabiaa"]),
    ("السعدية", &["Saadia", "Saâdia"]),
    ("مينة", &["Mina"]),
    ("نوال", &["Naoual", "Nawal"]),
    ("سكينة", &["Soukaina", "Sakina"]),
    ("هاجر", &["Hajar", "Hajer"]),
    ("غيثة", &["Ghita", "Ghyta"]),
    ("كوثر", &["Kaoutar", "Kawtar"]),
    ("ياسمين", &["Yasmine", "Yasmina"]),
    ("لبنى", &["Loubna", "Lubna"]),
    ("دنيا", &["Dounia", "Donia"]),
    ("نجاة", &["Najat", "Najate"]),
    ("عزيزة", &["Aziza"]),
    ("فتيحة", &["Fatiha", "Fatiya"]),
    ("إلهام", &["Ilham", "Ilhame"]),
    ("صفاء", &["Safae", "Safaa"]),
];

pub(crate) const FAMILY: &[Spellings] = &[
    ("التباع", &["Ettabaa", "Tabbaa"]),
    ("عزوزي", &["Azzouzi", "Azouzi"]),
    ("شهبون", &["Chahboun", "Shahboun"]),
    ("حدادي", &["Haddadi", "Hadadi"]),
    ("قسيوي", &["Qassioui", "Kassioui"]),
    ("بلوى", &["Belloua", "Beloua"]),
    ("الميلغ", &["El Miligh", "Elmiligh"]),
    ("بوعزة", &["Bouazza", "Bouaza"]),
    ("تيزغي", &["Tizghi", "Tizeghi"]),
    ("بيدا", &["Bida", "Beida"]),
    ("البنوري", &["El Bennouri", "Bennouri"]),
    ("السعداوي", &["Saadaoui", "Essaadaoui"]),
    ("المباركي", &["El Mbarki", "Mbarki"]),
    ("الإدريسي", &["El Idrissi", "Idrissi", "Drissi"]),
    ("خدجي", &["Khadji", "Khadiji"]),
    ("البوش", &["El Bouch", "Bouch"]),
    ("بوطاهري", &["Boutahiri", "Boutahri"]),
    ("الشواري", &["Chouari", "Echouari"]),
    ("اجغوغ", &["Ajghough", "Ajgoug"]),
    ("بوجات", &["Boujat", "Boujate"]),
    ("العلوي", &["Alaoui", "El Alaoui"]),
    ("بناني", &["Bennani", "Benani"]),
    ("التازي", &["Tazi", "Ettazi"]),
    ("الفاسي", &["El Fassi", "Fassi"]),
    ("بنجلون", &["Benjelloun", "Benjeloun"]),
    ("برادة", &["Berrada", "Berada"]),
    ("الشرقاوي", &["Cherkaoui", "Charkaoui"]),
    ("الوزاني", &["Ouazzani", "Ouazani", "El Ouazzani"]),
    ("الصديقي", &["Seddiki", "Essiddiqi"]),
    ("لخبيزي", &["Lakhbizi", "Lakhbizy"]),
    ("لحسيني", &["Lahssini", "Lahsini"]),
    ("العجوطي", &["El Ajouti", "Ajouti"]),
    ("بنعلي", &["Benali", "Ben Ali"]),
    ("بنموسى", &["Benmoussa", "Ben Moussa"]),
    ("الزياني", &["Ziani", "Zayani"]),
    ("المرابط", &["Mrabet", "El Mrabet"]),
    ("العمراني", &["Amrani", "El Amrani"]),
    ("الكتاني", &["Kettani", "El Kettani"]),
    ("الحمداوي", &["Hamdaoui", "El Hamdaoui"]),
    ("بوعلام", &["Boualam", "Bouallam"]),
    ("الحجوجي", &["Hajjouji", "El Hajjouji"]),
    ("السباعي", &["Sbai", "Essbai"]),
    ("الكبير", &["El Kabir", "Kbir"]),
    ("الرحماني", &["Rahmani", "Errahmani"]),
    ("الخطابي", &["Khattabi", "El Khattabi"]),
    ("الزروالي", &["Zerouali", "Zeroual"]),
    ("العثماني", &["Othmani", "El Otmani"]),
    ("الناصري", &["Naciri", "Nasiri"]),
    ("المنصوري", &["Mansouri", "El Mansouri"]),
    ("الهاشمي", &["Hachimi", "El Hachimi"]),
    ("البقالي", &["Bakkali", "El Bakkali"]),
    ("الطاهري", &["Tahiri", "Taheri"]),
    ("الوافي", &["Ouafi", "El Ouafi"]),
    ("الصنهاجي", &["Sanhaji", "Senhaji"]),
    ("الريفي", &["Rifi", "Riffi"]),
    ("الدكالي", &["Doukkali", "Doukali"]),
    ("الحريزي", &["Harizi", "El Harizi"]),
    ("الشاوي", &["Chaoui", "Echaoui"]),
    ("السوسي", &["Soussi", "Essoussi"]),
    ("المراكشي", &["Marrakchi", "El Marrakchi"]),
    ("أمزيان", &["Amziane", "Amezian"]),
    ("أوحمو", &["Ouhammou", "Ouhamou"]),
    ("أيت علي", &["Ait Ali", "Aït Ali"]),
    ("بلحاج", &["Belhaj", "Belhadj"]),
    ("بوزيد", &["Bouzid"]),
    ("الغزاوي", &["Ghazaoui", "El Ghazaoui"]),
    ("الفيلالي", &["Filali", "El Filali"]),
    ("القادري", &["Kadiri", "Qadiri"]),
    ("الصقلي", &["Sekkali", "Seqalli"]),
    ("بنسودة", &["Bensouda"]),
    ("الجراري", &["Jirari", "Jerrari"]),
    ("الأزرق", &["Lazrak", "El Azrak"]),
    ("أمغار", &["Amghar"]),
    ("أخياط", &["Akhiat", "Akhyat"]),
    ("بوكيلي", &["Boukili"]),
    ("الحيمر", &["Lahimer", "El Himer"]),
    ("التويمي", &["Touimi", "Ettouimi"]),
    ("بوطيب", &["Boutayeb", "Boutaib"]),
    ("المودن", &["El Moudden", "Moudden"]),
    ("الشيخي", &["Chikhi", "Echikhi"]),
    ("العسري", &["Assri", "El Assri"]),
    ("اليعقوبي", &["Yacoubi", "El Yaacoubi"]),
    ("الورديغي", &["Ouardighi", "El Ouardighi"]),
    ("بنكيران", &["Benkirane", "Benkiran"]),
    ("الحلوي", &["Halaoui", "El Halaoui"]),
    ("النجاري", &["Najjari", "Nejjari"]),
    ("الساهل", &["Sahel", "Essahel"]),
    ("بوعبيد", &["Bouabid", "Bouabide"]),
    ("المسعودي", &["Messaoudi", "El Messaoudi"]),
    ("القرشي", &["Kourchi", "Guerchi"]),
    ("الرامي", &["Rami", "Errami"]),
    ("الدريوش", &["Driouch", "Derriouch"]),
    ("الحسناوي", &["Hasnaoui", "El Hasnaoui"]),
    ("العيساوي", &["Aissaoui", "Issaoui"]),
    ("البركاني", &["Berkani", "El Berkani"]),
    ("التمسماني", &["Temsamani", "Tamsamani"]),
    ("الزموري", &["Zemmouri", "Zammouri"]),
    ("الجبلي", &["Jebli", "Djebli"]),
    ("الكرومي", &["Karroumi", "El Karroumi"]),
    ("بنعبد الله", &["Benabdellah", "Ben Abdellah"]),
    ("الشرايبي", &["Chraibi", "Cheraibi"]),
    ("الخياري", &["Khiari", "El Khiari"]),
    ("المعروفي", &["Maaroufi", "El Maaroufi"]),
    ("بوحموش", &["Bouhmouch", "Bouhammouch"]),
    ("الضريف", &["Darif", "Edderif"]),
    ("الرگراگي", &["Regragui", "Erregragui"]),
    ("أزناگ", &["Aznag"]),
    ("أوعبو", &["Ouabou"]),
    ("إدبلقاسم", &["Idbelkassem", "Id Belkacem"]),
    ("الكنوني", &["Guennouni", "Kanouni"]),
    ("الطالبي", &["Talbi", "Ettalbi"]),
];

/// Arabic spellings that registries print both with and without their hamza (`أمينة` and
/// `امينة`, `إسماعيل` and `اسماعيل`): the unhamzated variant is used now and then.
fn without_hamza_on_alef(text: &str) -> String {
    text.replace(['أ', 'إ'], "ا")
}

/// A generated person's name: as printed (Arabic), with its Latin transliterations.
pub(crate) struct PersonName {
    /// The Arabic name as printed: given name first, or family name first as lists often do.
    pub printed: String,
    /// The main Latin transliteration, given name first.
    pub latin: String,
    /// Another Latin spelling of the same name, when one exists.
    pub latin_variant: Option<String>,
    /// The name's ASCII slug (`amina-azzouzi`), for handles.
    pub slug: String,
}

pub(crate) fn person_name(rng: &mut Rng, female: bool) -> PersonName {
    let given_list = if female { FEMALE_GIVEN } else { MALE_GIVEN };
    let given = rng.pick_skewed(given_list);
    let family = rng.pick_skewed(FAMILY);
    // A second given name ("Mohamed Amine") for some men, as in real registers.
    let second = (!female && rng.chance(8))
        .then(|| rng.pick(MALE_GIVEN))
        .filter(|second| second.0 != given.0);

    let mut given_ar = given.0.to_owned();
    let mut given_latin = given.1[0].to_owned();
    let mut given_alt = given.1.get(1).map(|spelling| (*spelling).to_owned());
    if let Some(second) = second {
        given_ar = format!("{given_ar} {}", second.0);
        given_latin = format!("{given_latin} {}", second.1[0]);
        given_alt = given_alt.map(|alt| format!("{alt} {}", second.1[0]));
    }
    let family_ar = if rng.chance(30) {
        without_hamza_on_alef(family.0)
    } else {
        family.0.to_owned()
    };
    let given_ar = if rng.chance(30) {
        without_hamza_on_alef(&given_ar)
    } else {
        given_ar
    };
    let printed = if rng.chance(30) {
        format!("{family_ar} {given_ar}")
    } else {
        format!("{given_ar} {family_ar}")
    };
    let family_latin = family.1[0];
    let latin = format!("{given_latin} {family_latin}");
    let latin_variant = match (given_alt, family.1.get(1)) {
        (Some(alt), _) if rng.chance(50) => Some(format!("{alt} {family_latin}")),
        (_, Some(family_alt)) if rng.chance(40) => Some(format!("{given_latin} {family_alt}")),
        _ => None,
    };
    let slug = slug(&latin);
    PersonName {
        printed,
        latin,
        latin_variant,
        slug,
    }
}

/// Lowercase ASCII letters and digits, words joined by single `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'û' | 'ü' | 'ù' => 'u',
            'ç' => 'c',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_handle_safe() {
        assert_eq!(slug("Saïd El Fassi"), "said-el-fassi");
        assert_eq!(slug("Aït Ali -- Béni Mellal"), "ait-ali-beni-mellal");
        assert_eq!(slug("M'diq-Fnideq"), "m-diq-fnideq");
    }

    #[test]
    fn every_spelling_list_is_usable() {
        for (arabic, latin) in MALE_GIVEN.iter().chain(FEMALE_GIVEN).chain(FAMILY) {
            assert!(!arabic.is_empty() && !latin.is_empty(), "{arabic}");
            assert!(
                latin.iter().all(|spelling| !slug(spelling).is_empty()),
                "{arabic}"
            );
        }
    }
}
