use insta::assert_snapshot;
use sijill_interop::write_roster_csv;

use crate::support::{day, khemisset};

fn roster(body: Option<&str>, as_of: Option<&str>) -> (Vec<u8>, usize) {
    let registry = khemisset().registry;
    let body = body.map(|h| match registry.by_handle(&h.parse().unwrap()) {
        Some(sijill_domain::EntityId::Body(id)) => id,
        other => panic!("{h} is {other:?}"),
    });
    let mut out = Vec::new();
    let rows = write_roster_csv(&registry, body, as_of.map(day).as_ref(), &mut out).unwrap();
    (out, rows)
}

#[test]
fn a_roster_is_utf8_with_a_bom_and_crlf_lines() {
    let (bytes, rows) = roster(Some("@khemisset-coordination"), Some("2017-02-01"));
    assert_eq!(rows, 20);
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 21);
    let first_rows: Vec<&str> = text.split("\r\n").take(4).collect();
    assert_snapshot!(first_rows.join("\n"), @r#"
        body_handle,body,post_handle,post,person_handle,person,person_latin,from,to,end_reason,basis,basis_detail,assembly_handle,constituency_handle,constituency,certainty,mandate_id
        @khemisset-coordination,التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات,@khemisset-coordinator,المنسق الإقليمي,@achraf-chahboun,أشرف شهبون,Achraf Chahboun,2016-12-11/2017-01-31,,,elected_unanimously,,@khemisset-founding-assembly,@maaziz,المعازيز,certain,00000000-0000-7000-8000-00000000003d
        @khemisset-coordination,التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات,@khemisset-coordination-member,عضو التنسيقية,@hamid-haddadi,حميد حدادي,Hamid Haddadi,2016-12-11/2017-01-31,,,chosen_by_consensus,,@khemisset-founding-assembly,@khemisset,الخميسات,certain,00000000-0000-7000-8000-000000000051
        @khemisset-coordination,التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات,@khemisset-coordination-member,عضو التنسيقية,@mohamed-ettabaa,التباع محمد,Mohamed Ettabaa,2016-12-11/2017-01-31,,,chosen_by_consensus,,@khemisset-founding-assembly,@el-ganzra,القنصرة,certain,00000000-0000-7000-8000-000000000052
        "#);
}

#[test]
fn a_roster_on_a_date_the_founding_may_not_have_happened_yet_is_possible() {
    let (bytes, rows) = roster(Some("@khemisset-coordination"), Some("2016-12-20"));
    assert_eq!(rows, 20);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .all(|l| l.contains(",possible,")));
}

#[test]
fn a_roster_of_every_body_without_a_date_lists_every_mandate() {
    let (bytes, rows) = roster(None, None);
    assert_eq!(rows, 30);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_snapshot!(text.split("\r\n").nth(1).unwrap(), @r#"@ait-ouahi-council,مجلس جماعة آيت واحي,@ait-ouahi-council-president,رئيس الجماعة,@aziz-el-ajouti,عزيز العجوطي,Aziz El Ajouti,../2017-01-31,,,elected,,,,,,00000000-0000-7000-8000-000000000036"#);
}
