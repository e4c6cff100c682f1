use insta::assert_snapshot;
use sijill_interop::{write_body_dot, write_tree_dot};

use crate::support::{day, khemisset};

#[test]
fn the_tree_of_bodies_as_of_a_date() {
    let registry = khemisset().registry;
    let mut out = Vec::new();
    write_tree_dot(&registry, &day("2017-02-01"), &mut out).unwrap();
    assert_snapshot!(String::from_utf8(out).unwrap(), @r##"
        digraph bodies {
          graph [rankdir=TB, charset="UTF-8", label="as of 2017-02-01"];
          node [shape=box, style=rounded];
          "00000000-0000-7000-8000-000000000028" [label="مجلس جماعة آيت واحي\n@ait-ouahi-council", style="rounded"];
          "00000000-0000-7000-8000-000000000026" [label="مجلس جماعة آيت يدين\n@ait-yadine-council", style="rounded"];
          "00000000-0000-7000-8000-000000000022" [label="غرفة الفلاحة\n@chamber-agriculture", style="rounded"];
          "00000000-0000-7000-8000-000000000021" [label="غرفة الصناعة والتجارة والخدمات\n@chamber-industry-commerce-services", style="rounded"];
          "00000000-0000-7000-8000-000000000023" [label="غرفة الصناعة التقليدية\n@chamber-traditional-crafts", style="rounded"];
          "00000000-0000-7000-8000-000000000024" [label="مجلس النواب\n@house-of-representatives", style="rounded"];
          "00000000-0000-7000-8000-000000000011" [label="حزب التقدم والاشتراكية\n@pps", style="rounded"];
          "00000000-0000-7000-8000-00000000001a" [label="الجمعية الديمقراطية للمنتخبين التقدميين\n@elected-progressives", style="rounded"];
          "00000000-0000-7000-8000-000000000011" -> "00000000-0000-7000-8000-00000000001a";
          "00000000-0000-7000-8000-00000000001b" [label="المكتب الوطني\n@elected-progressives-national-bureau", style="rounded"];
          "00000000-0000-7000-8000-00000000001a" -> "00000000-0000-7000-8000-00000000001b";
          "00000000-0000-7000-8000-000000000038" [label="التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات\n@khemisset-coordination", style="rounded"];
          "00000000-0000-7000-8000-00000000001a" -> "00000000-0000-7000-8000-000000000038";
          "00000000-0000-7000-8000-000000000013" [label="اللجنة المركزية\n@pps-central-committee", style="rounded"];
          "00000000-0000-7000-8000-000000000011" -> "00000000-0000-7000-8000-000000000013";
          "00000000-0000-7000-8000-000000000015" [label="الكتابة الإقليمية للحزب بالخميسات\n@pps-khemisset", style="rounded"];
          "00000000-0000-7000-8000-000000000011" -> "00000000-0000-7000-8000-000000000015";
          "00000000-0000-7000-8000-000000000014" [label="المجلس الوطني\n@pps-national-council", style="rounded"];
          "00000000-0000-7000-8000-000000000011" -> "00000000-0000-7000-8000-000000000014";
          "00000000-0000-7000-8000-000000000012" [label="الديوان السياسي\n@pps-political-bureau", style="rounded"];
          "00000000-0000-7000-8000-000000000011" -> "00000000-0000-7000-8000-000000000012";
        }
        "##);
}

#[test]
fn a_body_with_its_posts_and_holders_as_of_a_date() {
    let registry = khemisset().registry;
    let Some(sijill_domain::EntityId::Body(body)) =
        registry.by_handle(&"@elected-progressives".parse().unwrap())
    else {
        panic!("no association")
    };
    let mut out = Vec::new();
    write_body_dot(&registry, body, &day("2017-02-01"), &mut out).unwrap();
    assert_snapshot!(String::from_utf8(out).unwrap(), @r##"
        digraph body {
          graph [rankdir=LR, charset="UTF-8", label="الجمعية الديمقراطية للمنتخبين التقدميين\n@elected-progressives\nas of 2017-02-01"];
          "00000000-0000-7000-8000-00000000001c" [shape=ellipse, label="الكاتب العام\n@elected-progressives-secretary-general"];
          "00000000-0000-7000-8000-00000000001f" [shape=box, label="كريم تاج\n@karim-taj"];
          "00000000-0000-7000-8000-00000000001c" -> "00000000-0000-7000-8000-00000000001f" [label="from 2016-12-10\nelected", style=solid];
        }
        "##);
}
