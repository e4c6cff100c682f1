//! Queries as of a date: the tree, rosters with certain/possible marks, vacancies,
//! representation, history and search on the base world.

use expect_test::expect;
use sijill_domain::{AsOf, EdtfDate, EntityId};

use crate::support::World;

fn as_of(date: &str) -> AsOf {
    AsOf::date(date.parse::<EdtfDate>().expect("a date"))
}

fn body(w: &World, handle: &str) -> sijill_domain::BodyId {
    match w.id(handle) {
        EntityId::Body(b) => b,
        other => panic!("{handle} is {other:?}"),
    }
}

/// The tree as indented handles with certainty.
fn tree(w: &World, date: &str) -> String {
    fn walk(nodes: &[sijill_domain::query::TreeNode], depth: usize, out: &mut Vec<String>) {
        for n in nodes {
            let handle = n
                .body
                .handle
                .as_ref()
                .map_or("-".to_owned(), ToString::to_string);
            let name = n.body.name.as_ref().map_or("", |n| n.text());
            out.push(format!(
                "{}{handle} \"{name}\" {:?}",
                "  ".repeat(depth),
                n.certainty
            ));
            walk(&n.children, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(&w.registry.tree(&as_of(date)), 0, &mut out);
    out.join("\n")
}

#[test]
fn the_tree_follows_foundings_moves_renames_and_dissolutions() {
    let mut w = World::base();
    w.run(r#"
        {"command":"found_body","handle":"@region","name":"Regional branch","kind":"regional-branch","parent":"@adep","founded_on":"2018~"}
        {"command":"move_body","body":"@coord","parent":"@region","on":"2019-03-01"}
        {"command":"rename_body","body":"@coord","name":"Khemisset and Tiflet coordination","on":"2020-01-01"}
        {"command":"dissolve_body","body":"@region","on":"2022","cascade":true}
    "#);
    let out = [
        "2016-06-01",
        "2017-06-01",
        "2018-06-01",
        "2019-06-01",
        "2020-06-01",
        "2022-06-01",
        "2023-01-01",
    ]
    .map(|d| format!("as of {d}:\n{}", tree(&w, d)))
    .join("\n");
    expect![[r#"
        as of 2016-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
        as of 2017-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
          @coord "Khemisset coordination" Certain
          @region "Regional branch" Possible
        as of 2018-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
          @coord "Khemisset coordination" Certain
          @region "Regional branch" Possible
        as of 2019-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
          @region "Regional branch" Certain
            @coord "Khemisset coordination" Certain
        as of 2020-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
          @region "Regional branch" Certain
            @coord "Khemisset and Tiflet coordination" Certain
        as of 2022-06-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain
          @region "Regional branch" Possible
            @coord "Khemisset and Tiflet coordination" Possible
        as of 2023-01-01:
        @adep "Democratic Association of Progressive Elected Officials" Certain"#]]
    .assert_eq(&out);
}

#[test]
fn roster_entries_are_certain_or_possible() {
    let mut w = World::base();
    w.run(r#"
        {"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding","constituency":"@maaziz"}
        {"command":"end_mandate","mandate":"@m","on":"2019-05","reason":"resigned"}
        {"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2019-06-01","basis":"co_opted"}
        {"command":"start_mandate","person":"@fatima","post":"@member","from":"2018?","basis":{"appointed":{"by":"@achraf"}}}
    "#);
    let coord = body(&w, "@coord");
    let show = |date: &str| {
        w.registry
            .roster(coord, &as_of(date))
            .iter()
            .map(|e| {
                format!(
                    "{} {} {:?}",
                    e.mandate.post.handle.as_ref().map_or("", |h| h.as_str()),
                    e.mandate.person.handle.as_ref().map_or("", |h| h.as_str()),
                    e.certainty
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let out = [
        "2017-01-06",
        "2017-03-01",
        "2018-06-01",
        "2019-05-15",
        "2019-06-01",
        "2019",
    ]
    .map(|d| format!("{d}: {}", show(d)))
    .join("\n");
    expect![[r#"
        2017-01-06: 
        2017-03-01: @coordinator @achraf Certain
        2018-06-01: @coordinator @achraf Certain, @member @fatima Possible
        2019-05-15: @coordinator @achraf Possible, @member @fatima Possible
        2019-06-01: @coordinator @hamid Certain, @member @fatima Possible
        2019: @coordinator @achraf Possible, @coordinator @hamid Possible, @member @fatima Possible"#]].assert_eq(&out);
}

#[test]
fn a_roster_entry_in_json() {
    let mut w = World::base();
    w.run(r#"{"command":"start_mandate","person":"@fatima","post":"@member","from":"2018?","basis":{"appointed":{"by":"@achraf"}},"constituency":"@tiflet"}"#);
    let roster = w.registry.roster(body(&w, "@coord"), &as_of("2019"));
    expect![[r##"
        [
          {
            "mandate": {
              "kind": "mandate",
              "id": "#12"
            },
            "person": {
              "kind": "person",
              "id": "#9",
              "handle": "@fatima",
              "name": {
                "text": "Fatima Qassioui"
              }
            },
            "post": {
              "kind": "post",
              "id": "#7",
              "handle": "@member",
              "name": {
                "text": "member"
              }
            },
            "body": {
              "kind": "body",
              "id": "#5",
              "handle": "@coord",
              "name": {
                "text": "Khemisset coordination"
              }
            },
            "from": "2018?",
            "basis": {
              "appointed": {
                "by": {
                  "kind": "person",
                  "id": "#8",
                  "handle": "@achraf",
                  "name": {
                    "text": "Achraf Chahboun"
                  }
                }
              }
            },
            "constituency": {
              "kind": "area",
              "id": "#3",
              "handle": "@tiflet",
              "name": {
                "text": "Tiflet"
              }
            },
            "certainty": "possible"
          }
        ]"##]]
    .assert_eq(&w.show(&roster));
}

#[test]
fn vacancies_list_posts_with_free_seats() {
    let mut w = World::base();
    w.run(r#"
        {"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously"}
        {"command":"start_mandate","person":"@fatima","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
        {"command":"end_mandate","mandate":"@m","on":"2019","reason":"resigned"}
    "#);
    let show = |date: &str| {
        w.registry
            .vacancies(&as_of(date))
            .iter()
            .map(|v| {
                format!(
                    "{} {}/{} held (certainly {})",
                    v.post.handle.as_ref().map_or("", |h| h.as_str()),
                    v.held_possibly,
                    v.seats,
                    v.held_certainly
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let out = ["2016-01-01", "2018-01-01", "2019-06-01", "2020-01-01"]
        .map(|d| format!("{d}: {}", show(d)))
        .join("\n");
    expect![[r#"
        2016-01-01: 
        2018-01-01: @member 1/2 held (certainly 1)
        2019-06-01: @coordinator 1/1 held (certainly 0), @member 1/2 held (certainly 1)
        2020-01-01: @coordinator 0/1 held (certainly 0), @member 1/2 held (certainly 1)"#]]
    .assert_eq(&out);
}

#[test]
fn representation_names_what_is_missed() {
    let mut w = World::base();
    w.run(r#"{"command":"start_mandate","person":"@fatima","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus","constituency":"@tiflet"}"#);
    let r = w
        .registry
        .representation(body(&w, "@coord"), &as_of("2018"))
        .expect("a body");
    expect![[r##"
        {
          "body": {
            "kind": "body",
            "id": "#5",
            "handle": "@coord",
            "name": {
              "text": "Khemisset coordination"
            }
          },
          "area": {
            "kind": "area",
            "id": "#1",
            "handle": "@khemisset",
            "name": {
              "text": "Khemisset"
            }
          },
          "covered": [
            {
              "constituency": {
                "kind": "area",
                "id": "#3",
                "handle": "@tiflet",
                "name": {
                  "text": "Tiflet"
                }
              },
              "holders": [
                {
                  "kind": "person",
                  "id": "#9",
                  "handle": "@fatima",
                  "name": {
                    "text": "Fatima Qassioui"
                  }
                }
              ],
              "certainty": "certain"
            }
          ],
          "missed": [
            {
              "kind": "area",
              "id": "#2",
              "handle": "@maaziz",
              "name": {
                "text": "Maaziz"
              }
            }
          ],
          "others": [],
          "gender": {
            "women": 1,
            "men": 0,
            "other": 0,
            "unknown": 0,
            "women_share": 1.0,
            "men_share": 0.0
          }
        }"##]]
    .assert_eq(&w.show(&r));
}

#[test]
fn history_lists_corrections_and_retractions() {
    let mut w = World::base();
    w.run(
        r#"
        {"command":"correct_name","entity":"@hamid","name":"Hamid Hadadi"}
        {"command":"correct_name","entity":"@hamid","name":"Hamid Haddadi"}
        {"command":"retract_event","position":13,"reason":"the first spelling was right"}
        {"command":"retract_event","position":12,"reason":"the first spelling was right"}
    "#,
    );
    expect![[r#"[{"position":10,"type":"person_registered"},{"position":12,"type":"name_corrected","retracted_by":15},{"position":13,"type":"name_corrected","retracted_by":14},{"position":14,"type":"event_retracted"},{"position":15,"type":"event_retracted"}]"#]].assert_eq(&w.line(&w.registry.history(w.id("@hamid"))));
}

#[test]
fn search_finds_people_bodies_areas_and_posts() {
    let w = World::base();
    let show = |q: &str| {
        w.registry
            .search(q, 5)
            .iter()
            .map(|h| {
                format!(
                    "{} {:?}",
                    h.entity
                        .handle
                        .as_ref()
                        .map_or("-".to_owned(), |h| h.to_string()),
                    h.score.kind
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let out = ["khemisset", "coordinat", "haddadi hamid", "nobody"]
        .map(|q| format!("{q}: {}", show(q)))
        .join("\n");
    expect![[r#"
        khemisset: @khemisset FullName, @coord AllTokens
        coordinat: @coordinator Prefix, @coord Prefix
        haddadi hamid: @hamid FullNameAnyOrder
        nobody: "#]]
    .assert_eq(&out);
}

#[test]
fn as_recorded_at_a_position_is_a_replay_of_the_first_events() {
    let mut w = World::base();
    w.run(r#"{"command":"correct_name","entity":"@coord","name":"Khemisset provincial coordination"}"#);
    let before = sijill_domain::Registry::replay(&w.events[..11]);
    let coord = body(&w, "@coord");
    let name = |r: &sijill_domain::Registry| {
        r.body(coord)
            .map(|b| b.name().text().to_owned())
            .unwrap_or_default()
    };
    expect![[r#"
        at 11: Khemisset coordination
        at 12: Khemisset provincial coordination"#]]
    .assert_eq(&format!(
        "at 11: {}\nat 12: {}",
        name(&before),
        name(&w.registry)
    ));
}
