//! Which OSM tags make a building, a street, a station or a basemap area.

use crate::model::StationTier;

/// Look a tag up by key.
pub fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The `building=*` value when the element is a building.
pub fn building_class(tags: &[(String, String)]) -> Option<&str> {
    match tag(tags, "building") {
        Some("no") | None => None,
        Some(v) => Some(v),
    }
}

/// Highway classes pedestrians may not use (BRIEF: motorways and their links).
const NOT_WALKABLE: &[&str] = &[
    "motorway",
    "motorway_link",
    "construction",
    "proposed",
    "abandoned",
    "raceway",
    "bus_guideway",
];

/// The `highway=*` value of a street, and whether it is walkable.
pub fn highway(tags: &[(String, String)]) -> Option<(&str, bool)> {
    let class = tag(tags, "highway")?;
    let foot_no = matches!(tag(tags, "foot"), Some("no") | Some("private"))
        || matches!(tag(tags, "access"), Some("no") | Some("private"))
            && !matches!(tag(tags, "foot"), Some("yes") | Some("designated"));
    Some((class, !NOT_WALKABLE.contains(&class) && !foot_no))
}

/// The basemap kind of an area: `water`, or the land use / leisure value.
pub fn area_kind(tags: &[(String, String)]) -> Option<String> {
    if tag(tags, "natural") == Some("water")
        || tag(tags, "waterway") == Some("riverbank")
        || matches!(tag(tags, "landuse"), Some("reservoir") | Some("basin"))
    {
        return Some("water".into());
    }
    if let Some(v) = tag(tags, "landuse") {
        return Some(v.to_owned());
    }
    if let Some(v @ ("park" | "garden" | "pitch" | "playground" | "stadium" | "track")) =
        tag(tags, "leisure")
    {
        return Some(v.to_owned());
    }
    match tag(tags, "natural") {
        Some(v @ ("wood" | "grassland" | "scrub" | "wetland")) => Some(v.to_owned()),
        _ => None,
    }
}

/// The station tier a POI can serve as, with the tag value it came from.
///
/// 党群服务中心 sit with the sub-district government (town halls); community
/// centres are stations; police rooms, libraries, post offices and clinics
/// are service points. Hospitals and schools are institutions, not stations.
pub fn station(tags: &[(String, String)]) -> Option<(StationTier, &str)> {
    let amenity = tag(tags, "amenity");
    let tier = match amenity? {
        "townhall" => StationTier::Centre,
        "community_centre" | "social_centre" | "social_facility" => StationTier::Station,
        "police" | "library" | "post_office" | "clinic" | "doctors" => StationTier::Point,
        _ => return None,
    };
    amenity.map(|a| (tier, a))
}

/// A human address from `addr:*` tags, in Chinese order (street, number 号).
pub fn address(tags: &[(String, String)]) -> Option<String> {
    if let Some(full) = tag(tags, "addr:full") {
        return Some(full.to_owned());
    }
    let street = tag(tags, "addr:street");
    let number = tag(tags, "addr:housenumber");
    let mut out = String::new();
    for part in ["addr:province", "addr:city", "addr:district"] {
        if let Some(v) = tag(tags, part) {
            out.push_str(v);
        }
    }
    if let Some(s) = street {
        out.push_str(s);
    }
    if let Some(n) = number {
        out.push_str(n);
        let ascii_end = n.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
        if ascii_end {
            out.push('号');
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Levels from `building:levels`, else from `height` at 3 m a level.
pub fn levels(tags: &[(String, String)]) -> Option<u32> {
    let leading_number = |s: &str| -> Option<f64> {
        let t: String = s
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        t.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
    };
    if let Some(l) = tag(tags, "building:levels").and_then(leading_number) {
        return Some((l.round() as u32).clamp(1, 200));
    }
    tag(tags, "height")
        .and_then(leading_number)
        .map(|h| ((h / 3.0).round() as u32).clamp(1, 200))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn motorways_are_not_walkable_footways_are() {
        assert_eq!(
            highway(&t(&[("highway", "motorway")])),
            Some(("motorway", false))
        );
        assert_eq!(
            highway(&t(&[("highway", "footway")])),
            Some(("footway", true))
        );
        assert_eq!(
            highway(&t(&[("highway", "primary"), ("foot", "no")])),
            Some(("primary", false))
        );
        assert_eq!(highway(&t(&[("building", "yes")])), None);
    }

    #[test]
    fn address_in_chinese_order() {
        let a = address(&t(&[("addr:street", "中山路"), ("addr:housenumber", "18")]));
        assert_eq!(a.as_deref(), Some("中山路18号"));
        let b = address(&t(&[
            ("addr:street", "中山路"),
            ("addr:housenumber", "18号"),
        ]));
        assert_eq!(b.as_deref(), Some("中山路18号"));
    }

    #[test]
    fn levels_from_tags() {
        assert_eq!(levels(&t(&[("building:levels", "12")])), Some(12));
        assert_eq!(levels(&t(&[("building:levels", "6;7")])), Some(6));
        assert_eq!(levels(&t(&[("height", "30 m")])), Some(10));
        assert_eq!(levels(&t(&[("building:levels", "abc")])), None);
    }

    #[test]
    fn station_tiers() {
        assert_eq!(
            station(&t(&[("amenity", "townhall")])).map(|s| s.0),
            Some(StationTier::Centre)
        );
        assert_eq!(
            station(&t(&[("amenity", "police")])).map(|s| s.0),
            Some(StationTier::Point)
        );
        assert_eq!(station(&t(&[("amenity", "hospital")])), None);
    }
}
