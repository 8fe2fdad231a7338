//! Public views of the model. These are the only shapes public routes
//! return: they carry no household counts and no people beyond a grid's
//! published contacts.

use gridmap_data::Atlas;
use gridmap_data::model::{Building, Community, Grid, Id, Person, Station};
use gridmap_data::model::{GridKind, PersonRole, StationTier};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCommunity {
    pub id: Id,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicGrid {
    pub id: Id,
    pub code: String,
    pub name: String,
    #[schema(value_type = GridKind)]
    pub kind: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicContact {
    pub name: String,
    #[schema(value_type = PersonRole)]
    pub role: &'static str,
    pub phone: Option<String>,
    /// Fictional demo person.
    pub sample: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStation {
    pub id: Id,
    pub name: String,
    #[schema(value_type = StationTier)]
    pub tier: &'static str,
    pub lon: f64,
    pub lat: f64,
    pub opening_hours: Option<String>,
    /// Straight-line (great-circle) distance, metres.
    pub distance_m: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicBuilding {
    pub id: Id,
    pub name: Option<String>,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub grid: Option<PublicGrid>,
    pub community: Option<PublicCommunity>,
}

pub fn community(c: &Community) -> PublicCommunity {
    PublicCommunity {
        id: c.id,
        code: c.code.clone(),
        name: c.name.clone(),
    }
}

pub fn grid(g: &Grid) -> PublicGrid {
    PublicGrid {
        id: g.id,
        code: g.code.clone(),
        name: g.name.clone(),
        kind: g.kind.as_str(),
    }
}

pub fn contact(p: &Person) -> PublicContact {
    PublicContact {
        name: p.name.clone(),
        role: p.role.as_str(),
        phone: p.phone.clone(),
        sample: p.sample,
    }
}

pub fn station(s: &Station, distance_m: f64) -> PublicStation {
    PublicStation {
        id: s.id,
        name: s.name.clone(),
        tier: s.tier.as_str(),
        lon: s.point.x(),
        lat: s.point.y(),
        opening_hours: s.opening_hours.clone(),
        distance_m: (distance_m * 10.0).round() / 10.0,
    }
}

pub fn building(atlas: &Atlas, b: &Building) -> PublicBuilding {
    let grid = b.grid_id.and_then(|g| atlas.grid(g));
    let community = grid
        .and_then(|g| atlas.community(g.community_id))
        .or_else(|| atlas.community_at(b.point));
    PublicBuilding {
        id: b.id,
        name: b.name.clone(),
        address: b.address.clone(),
        lon: b.point.x(),
        lat: b.point.y(),
        grid: grid.map(self::grid),
        community: community.map(self::community),
    }
}
