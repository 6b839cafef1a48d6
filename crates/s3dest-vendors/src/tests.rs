//! The catalogue's own consistency: what every derived part relies on.

use super::*;

#[test]
fn names_are_unique_and_parse_back() {
    let mut names: Vec<&str> = Vendor::all().map(Vendor::as_str).collect();
    for name in &names {
        assert_eq!(Vendor::parse(name).map(Vendor::as_str), Some(*name));
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CATALOGUE.len());
    assert_eq!(Vendor::parse("pendo"), None);
}

#[test]
fn every_fixed_trust_has_its_default_and_valid_principals() {
    for vendor in Vendor::all() {
        let Trust::Fixed { variants, default } = &vendor.description().trust else {
            continue;
        };
        assert!(!variants.is_empty(), "{vendor}");
        assert!(vendor.trust_variant(default).is_some(), "{vendor}: default");
        for variant in *variants {
            assert!(!variant.principals.is_empty(), "{vendor}/{}", variant.name);
            for p in variant.principals {
                let fields: Vec<&str> = p.split(':').collect();
                assert_eq!(fields.len(), 6, "{p}");
                assert_eq!(&fields[..3], ["arn", "aws", "iam"], "{p}");
                assert_eq!(fields[4].len(), 12, "{p}");
                assert!(
                    fields[5].starts_with("role/") || fields[5].starts_with("user/"),
                    "{p}"
                );
            }
        }
    }
}

#[test]
fn the_facts_are_dated_and_sourced() {
    for d in CATALOGUE {
        let date = d.source.checked.as_bytes();
        assert!(
            date.len() == 10 && date[4] == b'-' && date[7] == b'-',
            "{}: {}",
            d.name,
            d.source.checked
        );
        assert!(!d.source.guide.is_empty(), "{}", d.name);
        assert!(
            d.source.url.is_empty() || d.source.url.starts_with("https://"),
            "{}",
            d.name
        );
    }
}

#[test]
fn grants_are_s3_actions_and_kms_actions_are_kms() {
    for d in CATALOGUE {
        let g = &d.grants;
        assert_eq!(
            g.from_spec,
            g.bucket_actions.is_empty() && g.object_actions.is_empty(),
            "{}: a preset grants its own actions or the spec's",
            d.name
        );
        for a in g.actions() {
            assert!(a.starts_with("s3:") && !a.contains('*'), "{}: {a}", d.name);
        }
        if let Encryption::GrantOnKey(actions) | Encryption::KeyPolicy(actions) = d.encryption {
            assert!(actions.iter().all(|a| a.starts_with("kms:")), "{}", d.name);
        }
    }
}

#[test]
fn who_acts_fits_the_identity() {
    for d in CATALOGUE {
        match (&d.identity, &d.trust, &d.external_id) {
            // Nobody assumes anything: the statement names the vendor's principal.
            (Identity::None, Trust::Fixed { .. }, ExternalId::NotUsed { .. }) => {
                assert_eq!(d.placement, Placement::BucketStatement, "{}", d.name);
            }
            (Identity::ExistingRole { .. }, Trust::Unchanged, ExternalId::NotUsed { .. }) => {
                assert_eq!(d.placement, Placement::IdentityPolicy, "{}", d.name);
            }
            (Identity::OwnRole { .. }, Trust::Customer { .. } | Trust::Fixed { .. }, id) => {
                assert!(!matches!(id, ExternalId::NotUsed { .. }), "{}", d.name);
            }
            other => panic!("{}: {other:?}", d.name),
        }
    }
}
