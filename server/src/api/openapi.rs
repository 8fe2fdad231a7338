//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, built
//! from [`OPERATIONS`] (one row per method and path: parameters, body,
//! success response, error statuses, who may call it) and the request and
//! response schemas in [`schemas`]. A unit test below checks the table
//! against the router's source both ways (every `.route(…)` method is
//! documented, every documented operation is routed), so the two cannot
//! drift apart unnoticed.

use axum::Json;
use serde_json::{Map, Value, json};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no credentials needed.
    Public,
    /// Anyone; a signed-in caller sees more (household attributes in tiles).
    PublicOrUser,
    /// A signed-in caller (cookie session or bearer token) with the permission named in the summary.
    User,
    /// A signed-in caller writing: a cookie session must send `X-CSRF-Token`.
    Write,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
}

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    Int,
    Num,
    Str,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An integer in this range.
    Range(i64, i64),
    /// A number in `(min, max]` when `open_min`, else `[min, max]`.
    Float {
        min: f64,
        max: f64,
        open_min: bool,
    },
    /// A string of `min..=max` characters holding a non-space character.
    Text(u32, u32),
    /// A glyph range file: `0-255.pbf`, `256-511.pbf` … `65280-65535.pbf`.
    GlyphRange,
}

/// One path or query parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub at: In,
    pub ty: Ty,
    pub required: bool,
    pub doc: &'static str,
}

const fn path(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param {
        name,
        at: In::Path,
        ty,
        required: true,
        doc,
    }
}

const fn query(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param {
        name,
        at: In::Query,
        ty,
        required: false,
        doc,
    }
}

const fn required(mut p: Param) -> Param {
    p.required = true;
    p
}

/// What a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    /// JSON of this component schema.
    Json(&'static str),
    /// `building_id,grid_code` CSV.
    Csv,
}

/// What a success carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// JSON of this component schema.
    Json(u16, &'static str),
    GeoJson,
    Csv,
    Svg,
    Png,
    /// A Mapbox Vector Tile (304 on a matching `If-None-Match`).
    Mvt,
    /// Protobuf glyph ranges.
    Glyphs,
    Html,
    /// A static file of the web app.
    Asset,
}

/// One operation: a method on a path.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    /// The path as the router spells it (`{file}` segments included).
    pub route: &'static str,
    /// The path as documented, when it differs (`{y}.mvt` for `{file}`).
    pub path: Option<&'static str>,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub params: &'static [Param],
    pub body: Body,
    pub ok: Out,
    /// Error statuses besides the ones every route may give (429, 400 for a bad query string).
    pub errors: &'static [u16],
}

impl Operation {
    pub fn doc_path(&self) -> &'static str {
        self.path.unwrap_or(self.route)
    }
}

const ID: Ty = Ty::Int;
const MINUTES: Param = query(
    "minutes",
    MINUTES_TY,
    "Walking minutes, (0, 60] (default 15).",
);
const MINUTES_TY: Ty = Ty::Float {
    min: 0.0,
    max: 60.0,
    open_min: true,
};
const METRES: Param = query(
    "metres",
    Ty::Float {
        min: 0.0,
        max: 19_800.0,
        open_min: true,
    },
    "Walking distance in metres instead of minutes (bands 300/500/1,000 m).",
);
const TIER: Param = query(
    "tier",
    Ty::Str,
    "Comma-separated station tiers: centre, station, point (default all).",
);
const SPEED: Param = query(
    "speed",
    Ty::Float {
        min: 0.0,
        max: 5.0,
        open_min: true,
    },
    "Walking speed in m/s, (0, 5] (default 1.1).",
);
const PLAN_ID: Param = path("id", ID, "Plan id.");
const TILE: [Param; 3] = [
    path("z", Ty::Range(0, 24), "Zoom."),
    path("x", Ty::Range(0, 16_777_215), "Tile column."),
    path("y", Ty::Range(0, 16_777_215), "Tile row."),
];

/// Every operation the server answers.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        route: "/health",
        path: None,
        tag: "service",
        summary: "Liveness and what the store holds.",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Health"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/api/openapi.json",
        path: None,
        tag: "service",
        summary: "This document.",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/api/lookup",
        path: None,
        tag: "public",
        summary: "The grid, community, public contacts, nearest stations and walk of a WGS84 point.",
        access: Access::Public,
        params: &[
            required(query(
                "lon",
                Ty::Float {
                    min: -180.0,
                    max: 180.0,
                    open_min: false,
                },
                "Longitude, -180..180.",
            )),
            required(query(
                "lat",
                Ty::Float {
                    min: -90.0,
                    max: 90.0,
                    open_min: false,
                },
                "Latitude, -90..90.",
            )),
        ],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 404],
    },
    Operation {
        method: "get",
        route: "/api/buildings/search",
        path: None,
        tag: "public",
        summary: "Buildings by name or address.",
        access: Access::Public,
        params: &[
            required(query(
                "q",
                Ty::Text(1, 100),
                "Name or address (at most 100 characters).",
            )),
            query(
                "limit",
                Ty::Range(1, u32::MAX as i64),
                "At most this many results (default 20; above 100 counts as 100).",
            ),
        ],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400],
    },
    Operation {
        method: "get",
        route: "/api/buildings/{id}",
        path: None,
        tag: "public",
        summary: "One building with its grid and community (no households).",
        access: Access::Public,
        params: &[path("id", ID, "Building id.")],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 404],
    },
    Operation {
        method: "get",
        route: "/api/buildings/{id}/qr.svg",
        path: None,
        tag: "qr",
        summary: "A labelled QR code pointing at the building's page.",
        access: Access::Public,
        params: &[path("id", ID, "Building id.")],
        body: Body::None,
        ok: Out::Svg,
        errors: &[400, 404],
    },
    Operation {
        method: "get",
        route: "/api/buildings/{id}/qr.png",
        path: None,
        tag: "qr",
        summary: "The bare QR code of the building's page as PNG.",
        access: Access::Public,
        params: &[
            path("id", ID, "Building id."),
            query(
                "scale",
                Ty::Range(1, u32::MAX as i64),
                "Pixels per module (default 8; above 32 counts as 32).",
            ),
        ],
        body: Body::None,
        ok: Out::Png,
        errors: &[400, 404],
    },
    Operation {
        method: "get",
        route: "/api/grids/{id}/qr-sheet.svg",
        path: None,
        tag: "qr",
        summary: "A4 sheets of QR codes for every building of a grid (ReadPlans of its community).",
        access: Access::User,
        params: &[
            path("id", ID, "Grid id."),
            query(
                "page",
                Ty::Range(1, u32::MAX as i64),
                "Only this page (1-based).",
            ),
        ],
        body: Body::None,
        ok: Out::Svg,
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "get",
        route: "/style.json",
        path: None,
        tag: "map",
        summary: "The MapLibre style of the map.",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/tiles.json",
        path: None,
        tag: "map",
        summary: "TileJSON 3.0 of the vector tiles.",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/tiles/{z}/{x}/{file}",
        path: Some("/tiles/{z}/{x}/{y}.mvt"),
        tag: "map",
        summary: "A vector tile; signed-in callers get household attributes of the grids they may read.",
        access: Access::PublicOrUser,
        params: &TILE,
        body: Body::None,
        ok: Out::Mvt,
        errors: &[400],
    },
    Operation {
        method: "get",
        route: "/tiles/coverage.json",
        path: None,
        tag: "map",
        summary: "TileJSON 3.0 of the walking-coverage tiles (layer `coverage`, z13+).",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/tiles/coverage/{z}/{x}/{file}",
        path: Some("/tiles/coverage/{z}/{x}/{y}.mvt"),
        tag: "map",
        summary: "A walking-coverage tile: each building's band and minutes (no households); empty with a `-p` ETag while the run is pending.",
        access: Access::Public,
        params: &TILE,
        body: Body::None,
        ok: Out::Mvt,
        errors: &[400],
    },
    Operation {
        method: "get",
        route: "/fonts/{fontstack}/{range}",
        path: None,
        tag: "map",
        summary: "SDF glyphs of a 256-character range (`0-255.pbf`).",
        access: Access::Public,
        params: &[
            path("fontstack", Ty::Str, "Comma-separated font names."),
            path(
                "range",
                Ty::GlyphRange,
                "`{start}-{end}.pbf`, 256 code points: start a multiple of 256 below 65,536, end = start + 255.",
            ),
        ],
        body: Body::None,
        ok: Out::Glyphs,
        errors: &[400, 404],
    },
    Operation {
        method: "post",
        route: "/api/auth/login",
        path: None,
        tag: "auth",
        summary: "Sign in: sets the HttpOnly session cookie and returns the CSRF token.",
        access: Access::Public,
        params: &[],
        body: Body::Json("Login"),
        ok: Out::Json(200, "Me"),
        errors: &[400, 401, 413, 415],
    },
    Operation {
        method: "post",
        route: "/api/auth/logout",
        path: None,
        tag: "auth",
        summary: "End this session (or revoke this bearer token).",
        access: Access::Write,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[401, 403],
    },
    Operation {
        method: "get",
        route: "/api/auth/me",
        path: None,
        tag: "auth",
        summary: "Who is signed in.",
        access: Access::User,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Me"),
        errors: &[401],
    },
    Operation {
        method: "get",
        route: "/api/auth/session",
        path: None,
        tag: "auth",
        summary: "Who is signed in, always 200: `{session: Me}` or `{session: null}`.",
        access: Access::PublicOrUser,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/api/grids/compliance",
        path: None,
        tag: "coverage",
        summary: "Each grid's households and rule status (under/ok/over/exempt) with counts per community (ReadAnalytics or ReadPlans).",
        access: Access::User,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[401, 403],
    },
    Operation {
        method: "get",
        route: "/api/communities",
        path: None,
        tag: "plans",
        summary: "The communities the caller may read plans of, with bounds and whether they may edit them.",
        access: Access::User,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[401],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/layers",
        path: None,
        tag: "plans",
        summary: "The plan's map: derived grid polygons and building points with households and grid (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[401, 403, 404],
    },
    Operation {
        method: "get",
        route: "/api/admin/audit",
        path: None,
        tag: "admin",
        summary: "The audit log, newest first (admins).",
        access: Access::User,
        params: &[
            query("limit", Ty::Range(1, 1000), "Rows (default 100)."),
            query("before", Ty::Int, "Only rows older than this id."),
        ],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403],
    },
    Operation {
        method: "get",
        route: "/api/admin/users",
        path: None,
        tag: "admin",
        summary: "Every user (admins).",
        access: Access::User,
        params: &[],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[401, 403],
    },
    Operation {
        method: "get",
        route: "/api/coverage",
        path: None,
        tag: "coverage",
        summary: "Walking-coverage roll-ups of the communities the caller may analyse (ReadAnalytics).",
        access: Access::User,
        params: &[MINUTES, METRES, TIER, SPEED],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403],
    },
    Operation {
        method: "get",
        route: "/api/coverage/buildings",
        path: None,
        tag: "coverage",
        summary: "Per-building coverage, paged (ReadAnalytics).",
        access: Access::User,
        params: &[
            MINUTES,
            METRES,
            TIER,
            SPEED,
            query("community", Ty::Int, "Only this community."),
            query(
                "status",
                Ty::OneOf(&[
                    "network",
                    "estimated",
                    "beyond",
                    "unreachable",
                    "covered",
                    "uncovered",
                ]),
                "Only buildings of this status.",
            ),
            query(
                "limit",
                Ty::Range(1, u32::MAX as i64),
                "Rows per page (default 1,000; above 10,000 counts as 10,000).",
            ),
            query("offset", Ty::Range(0, i64::MAX), "Rows to skip."),
        ],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403],
    },
    Operation {
        method: "post",
        route: "/api/coverage/siting",
        path: None,
        tag: "coverage",
        summary: "Greedy new-station proposals (ReadAnalytics of every community).",
        access: Access::Write,
        params: &[],
        body: Body::Json("SitingRequest"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 413, 415, 422],
    },
    Operation {
        method: "get",
        route: "/api/stations/{id}/isochrone",
        path: None,
        tag: "coverage",
        summary: "The area a station reaches on foot, as GeoJSON.",
        access: Access::Public,
        params: &[path("id", ID, "Station id."), MINUTES, SPEED],
        body: Body::None,
        ok: Out::GeoJson,
        errors: &[400, 404, 422],
    },
    Operation {
        method: "get",
        route: "/tiles/isochrone/{station}/{minutes}/{z}/{x}/{file}",
        path: Some("/tiles/isochrone/{station}/{minutes}/{z}/{x}/{y}.mvt"),
        tag: "coverage",
        summary: "A station's walking area as a vector tile (layer `isochrone`).",
        access: Access::Public,
        params: &[
            path("station", ID, "Station id."),
            path("minutes", MINUTES_TY, "Walking minutes, (0, 60]."),
            TILE[0],
            TILE[1],
            TILE[2],
        ],
        body: Body::None,
        ok: Out::Mvt,
        errors: &[400, 404, 422],
    },
    Operation {
        method: "get",
        route: "/api/communities/{id}/rules",
        path: None,
        tag: "plans",
        summary: "A community's grid rules (ReadPlans).",
        access: Access::User,
        params: &[path("id", ID, "Community id.")],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "put",
        route: "/api/communities/{id}/rules",
        path: None,
        tag: "plans",
        summary: "Set a community's grid rules (EditPlan; audited).",
        access: Access::Write,
        params: &[path("id", ID, "Community id.")],
        body: Body::Json("Rules"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 413, 415, 422],
    },
    Operation {
        method: "get",
        route: "/api/plans",
        path: None,
        tag: "plans",
        summary: "Plans the caller may read, newest first.",
        access: Access::User,
        params: &[query("community", Ty::Int, "Only this community's plans.")],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403],
    },
    Operation {
        method: "post",
        route: "/api/plans",
        path: None,
        tag: "plans",
        summary: "A new draft from the published grids or another plan (EditPlan; audited).",
        access: Access::Write,
        params: &[],
        body: Body::Json("CreatePlan"),
        ok: Out::Json(201, "Object"),
        errors: &[400, 401, 403, 404, 413, 415, 422],
    },
    Operation {
        method: "post",
        route: "/api/plans/import",
        path: None,
        tag: "plans",
        summary: "A new draft from a `building_id,grid_code` CSV (EditPlan; audited).",
        access: Access::Write,
        params: &[
            required(query("community", Ty::Int, "Community id.")),
            query("name", Ty::Str, "Name of the draft."),
        ],
        body: Body::Csv,
        ok: Out::Json(201, "Object"),
        errors: &[400, 401, 403, 404, 413, 422],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}",
        path: None,
        tag: "plans",
        summary: "A plan with its grids (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/edits",
        path: None,
        tag: "plans",
        summary: "Apply one edit at `version` (409 with the current version when stale; EditPlan; audited).",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("EditBody"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/undo",
        path: None,
        tag: "plans",
        summary: "Undo the newest edit (EditPlan; audited).",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("VersionBody"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/redo",
        path: None,
        tag: "plans",
        summary: "Redo the newest undone edit (EditPlan; audited).",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("VersionBody"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/history",
        path: None,
        tag: "plans",
        summary: "Every version of a plan with who made it (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/validate",
        path: None,
        tag: "plans",
        summary: "Rule violations of the plan's newest state (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/partition",
        path: None,
        tag: "plans",
        summary: "Redraw grids automatically (fresh or rebalance; EditPlan; audited).",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("PartitionBody"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/publish",
        path: None,
        tag: "plans",
        summary: "Make the plan the community's grids (EditPlan; audited). 422 `plan_has_breaks` when it breaks a rule (`force`: admins only); 409 `base_changed` (`BaseChanged`) when the draft was made from another published plan than the current one (rebase it, or `force_base` with a `reason`, audited).",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("PublishBody"),
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "post",
        route: "/api/plans/{id}/rebase",
        path: None,
        tag: "plans",
        summary: "Move a draft onto the community's published plan: it restarts from the published grids (undo stops there) and its own edits are replayed as new versions; answers `Rebased` with the edits that could not be replayed, or were replayed over the other publish's change, as `conflicts` (EditPlan; audited). 409 `base_current` when it already builds on the published plan, `rebase_unsupported` for a copy of another draft or an import.",
        access: Access::Write,
        params: &[PLAN_ID],
        body: Body::Json("VersionBody"),
        ok: Out::Json(200, "Rebased"),
        errors: &[400, 401, 403, 404, 409, 413, 415, 422],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/diff/{other}",
        path: None,
        tag: "plans",
        summary: "Buildings that change grid between two plans of one community (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID, path("other", ID, "The other plan's id.")],
        body: Body::None,
        ok: Out::Json(200, "Object"),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/export.geojson",
        path: None,
        tag: "plans",
        summary: "The plan's grids as GeoJSON (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::GeoJson,
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "get",
        route: "/api/plans/{id}/export.csv",
        path: None,
        tag: "plans",
        summary: "The plan's `building_id,grid_code` assignment (ReadPlans).",
        access: Access::User,
        params: &[PLAN_ID],
        body: Body::None,
        ok: Out::Csv,
        errors: &[400, 401, 403, 404],
    },
    Operation {
        method: "get",
        route: "/",
        path: None,
        tag: "web",
        summary: "The web app (map).",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Html,
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/find",
        path: None,
        tag: "web",
        summary: "The web app (find my grid).",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Html,
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/plan",
        path: None,
        tag: "web",
        summary: "The web app (planning).",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Html,
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/coverage",
        path: None,
        tag: "web",
        summary: "The web app (coverage).",
        access: Access::Public,
        params: &[],
        body: Body::None,
        ok: Out::Html,
        errors: &[],
    },
    Operation {
        method: "get",
        route: "/b/{building}",
        path: None,
        tag: "web",
        summary: "A building's landing page (where its QR code points).",
        access: Access::Public,
        params: &[path("building", ID, "Building id.")],
        body: Body::None,
        ok: Out::Html,
        errors: &[404],
    },
    Operation {
        method: "get",
        route: "/app/{build}/{*path}",
        path: Some("/app/{build}/{path}"),
        tag: "web",
        summary: "A static file of the web app (immutable per build).",
        access: Access::Public,
        params: &[
            path("build", Ty::Str, "Build id."),
            path("path", Ty::Str, "File inside the app."),
        ],
        body: Body::None,
        ok: Out::Asset,
        errors: &[404],
    },
];

fn param_schema(ty: Ty) -> Value {
    match ty {
        Ty::Int => {
            json!({"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX})
        }
        Ty::Num => json!({"type": "number"}),
        Ty::Str => json!({"type": "string"}),
        Ty::OneOf(values) => json!({"type": "string", "enum": values}),
        Ty::Range(min, max) => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Float {
            min,
            max,
            open_min: true,
        } => json!({"type": "number", "exclusiveMinimum": min, "maximum": max}),
        Ty::Float { min, max, .. } => json!({"type": "number", "minimum": min, "maximum": max}),
        Ty::Text(min, max) => {
            json!({"type": "string", "minLength": min, "maxLength": max, "pattern": "\\S"})
        }
        Ty::GlyphRange => {
            let files: Vec<String> = (0..256_u32)
                .map(|i| format!("{}-{}.pbf", i * 256, i * 256 + 255))
                .collect();
            json!({"type": "string", "enum": files})
        }
    }
}

fn error_response(status: u16) -> Value {
    let what = match status {
        304 => return json!({"description": "Not modified (ETag matched)."}),
        400 => "Bad input (`code` names what).",
        401 => "Not signed in (`unauthenticated`).",
        403 => "Not allowed (`forbidden`), or a cookie write without `X-CSRF-Token` (`csrf`).",
        404 => "No such object.",
        409 => {
            "Conflict: a stale version (`stale_version`, with `current_version`: retry with it), or a state that forbids the change (`code` names it)."
        }
        413 => "Body too large.",
        415 => "Wrong content type.",
        422 => "Well-formed but invalid.",
        429 => "Rate limited; see `Retry-After`.",
        _ => "Error.",
    };
    json!({
        "description": what,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn ok_response(out: Out) -> (String, Value) {
    let content = |mime: &str, schema: Value| json!({ mime: { "schema": schema } });
    let binary = json!({"type": "string", "format": "binary"});
    let (status, description, content) = match out {
        Out::Json(status, schema) => (
            status,
            "OK",
            content(
                "application/json",
                json!({"$ref": format!("#/components/schemas/{schema}")}),
            ),
        ),
        Out::GeoJson => (
            200,
            "GeoJSON FeatureCollection",
            content(
                "application/geo+json",
                json!({"$ref": "#/components/schemas/Object"}),
            ),
        ),
        Out::Csv => (200, "CSV", content("text/csv", json!({"type": "string"}))),
        Out::Svg => (
            200,
            "SVG",
            content("image/svg+xml", json!({"type": "string"})),
        ),
        Out::Png => (200, "PNG", content("image/png", binary)),
        Out::Mvt => (
            200,
            "Mapbox Vector Tile 2.1",
            content("application/vnd.mapbox-vector-tile", binary),
        ),
        Out::Glyphs => (
            200,
            "Glyph protobuf",
            content("application/x-protobuf", binary),
        ),
        Out::Html => (200, "HTML", content("text/html", json!({"type": "string"}))),
        Out::Asset => (200, "A static file", content("*/*", binary)),
    };
    (
        status.to_string(),
        json!({"description": description, "content": content}),
    )
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::PublicOrUser => json!([{}, {"session": []}, {"bearer": []}]),
        Access::User => json!([{"session": []}, {"bearer": []}]),
        Access::Write => json!([{"session": [], "csrf": []}, {"bearer": []}]),
    }
}

fn operation(op: &Operation) -> Value {
    let mut responses = Map::new();
    let (status, ok) = ok_response(op.ok);
    responses.insert(status, ok);
    let mut errors: Vec<u16> = op.errors.to_vec();
    if !op.params.is_empty() || op.body != Body::None {
        // Path ids past i64 and bad query strings are 400 too.
        errors.push(400);
    }
    if let Body::Json(_) = op.body {
        // Over the body limit; not `application/json`; JSON of the wrong shape.
        errors.extend([413, 415, 422]);
    }
    if op.ok == Out::Mvt {
        // 304 on a matching ETag; 404 past the zoom's edge (`x, y < 2^z`).
        errors.extend([304, 404]);
    }
    errors.push(429);
    errors.sort_unstable();
    errors.dedup();
    for e in errors {
        responses.insert(e.to_string(), error_response(e));
    }
    let params: Vec<Value> = op
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "in": match p.at { In::Path => "path", In::Query => "query" },
                "required": p.required,
                "description": p.doc,
                "schema": param_schema(p.ty),
            })
        })
        .collect();
    let mut o = json!({
        "operationId": operation_id(op),
        "tags": [op.tag],
        "summary": op.summary,
        "parameters": params,
        "responses": responses,
        "security": security(op.access),
    });
    match op.body {
        Body::None => {}
        Body::Json(schema) => {
            o["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
            });
        }
        Body::Csv => {
            o["requestBody"] = json!({
                "required": true,
                "content": {"text/csv": {"schema": {"type": "string"}}}
            });
        }
    }
    o
}

fn operation_id(op: &Operation) -> String {
    let mut id = op.method.to_owned();
    for part in op.doc_path().split(['/', '.', '-']) {
        let part = part.trim_matches(|c| c == '{' || c == '}' || c == '*');
        if !part.is_empty() {
            id.push('_');
            id.push_str(part);
        }
    }
    id
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let entry = paths
            .entry(op.doc_path().to_owned())
            .or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "gridmap",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Community grid governance GIS: grids, buildings, stations, walking coverage and grid plans. Errors are JSON `{code, message}` with a stable `code`. Public routes never return household counts or people beyond a grid's published contacts.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": "service"}, {"name": "public"}, {"name": "qr"}, {"name": "map"},
            {"name": "auth"}, {"name": "admin"}, {"name": "coverage"}, {"name": "plans"},
            {"name": "web"},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE,
                    "description": "HttpOnly, SameSite=Strict session cookie set by POST /api/auth/login.",
                },
                "csrf": {
                    "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                    "description": "The `csrf_token` login returns; required on writes with the session cookie.",
                },
                "bearer": {
                    "type": "http", "scheme": "bearer",
                    "description": "A token from `gridmap token create --user NAME`.",
                },
            },
            "schemas": schemas(),
        },
    })
}

/// Request and response schemas.
fn schemas() -> Value {
    let lonlat =
        json!({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2});
    let grid_key = json!({"type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64});
    let edit = |kind: &str, props: Value, required: &[&str]| {
        let mut props = props;
        props["kind"] = json!({"const": kind});
        let mut req = vec!["kind"];
        req.extend_from_slice(required);
        json!({"type": "object", "properties": props, "required": req})
    };
    json!({
        "Error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. `bad_coordinates`."},
                "message": {"type": "string", "description": "What went wrong, for people."},
            },
            "required": ["code", "message"],
        },
        "Object": {"type": "object"},
        "Health": {
            "type": "object",
            "properties": {
                "status": {"type": "string"},
                "version": {"type": "string"},
                "backend": {"type": "string"},
                "snapshot": {"type": "integer"},
                "counts": {"type": "object"},
                "tile_cache": {"type": "object"},
            },
            "required": ["status", "version", "backend", "snapshot"],
        },
        "Login": {
            "type": "object",
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            "required": ["username", "password"],
        },
        "Me": {
            "type": "object",
            "properties": {
                "user": {"type": "string"},
                "role": {"type": "string", "enum": ["admin", "official", "planner", "grid_worker"]},
                "scope": {},
                "via": {"type": "string", "enum": ["cookie", "bearer"]},
                "csrf_token": {"type": ["string", "null"], "description": "Cookie sessions: send as `X-CSRF-Token` on writes."},
            },
            "required": ["user", "role", "via"],
        },
        "SitingRequest": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "k": {"type": "integer", "minimum": 0, "description": "Sites to propose (1..=20)."},
                "minutes": {"type": "number"},
                "tier": {"type": "string"},
                "speed": {"type": "number"},
                "candidates": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "kind": {"type": "string", "enum": ["buildings", "classes", "points"]},
                        "classes": {"type": "array", "items": {"type": "string"}},
                        "points": {"type": "array", "items": lonlat},
                        "max": {"type": "integer", "minimum": 0},
                    },
                    "required": ["kind"],
                },
            },
            "required": ["k"],
        },
        "Rules": {
            "type": "object",
            "properties": {
                "min_households": {"type": "integer", "minimum": 0},
                "max_households": {"type": "integer", "minimum": 0},
                "target_households": {"type": "integer", "minimum": 0},
                "barrier_road_classes": {"type": "array", "items": {"type": "string"}},
                "water_is_barrier": {"type": "boolean"},
            },
        },
        "CreatePlan": {
            "type": "object",
            "properties": {
                "community_id": {"type": "integer", "format": "int64"},
                "name": {"type": "string"},
                "from": {"type": ["integer", "null"], "format": "int64"},
            },
            "required": ["community_id", "name"],
        },
        "VersionBody": {
            "type": "object",
            "properties": {"version": {"type": "integer", "format": "int64"}},
            "required": ["version"],
        },
        "PublishBody": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "format": "int64"},
                "force": {"type": "boolean", "description": "Publish despite rule breaks (admins only; audited)."},
                "force_base": {"type": "boolean", "description": "Publish although the draft was made from another published plan than the current one, replacing it (needs `reason`; audited)."},
                "reason": {"type": ["string", "null"], "maxLength": 500, "description": "Why (with `force_base`; kept in the audit log)."},
            },
            "required": ["version"],
        },
        "PlanRef": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "name": {"type": "string"},
                "status": {"type": "string", "enum": ["draft", "published", "archived"]},
                "published_at": {"type": ["integer", "null"], "description": "Unix seconds."},
                "published_by": {"type": ["string", "null"]},
            },
            "required": ["id", "name", "status"],
        },
        "Changes": {
            "type": "object",
            "description": "What one plan changed from another, grids by code.",
            "properties": {
                "grids_added": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}},
                "grids_removed": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}},
                "grids_renamed": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"}}}},
                "grids_changed": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string", "enum": ["kind", "people", "shape"]}}}}},
                "buildings_moved": {"type": "integer"},
                "households_moved": {"type": "integer"},
                "moved": {"type": "array", "description": "The first 200 moved buildings.", "items": {"type": "object", "properties": {"building": {"type": "integer", "format": "int64"}, "from_code": {"type": ["string", "null"]}, "to_code": {"type": ["string", "null"]}}}},
            },
        },
        "BaseChanged": {
            "type": "object",
            "description": "409 `base_changed`: the draft was made from another published plan than the community's current one.",
            "properties": {
                "code": {"const": "base_changed"},
                "message": {"type": "string"},
                "plan": {"type": "integer", "format": "int64"},
                "base_plan": {"oneOf": [{"$ref": "#/components/schemas/PlanRef"}, {"type": "null"}]},
                "published_plan": {"$ref": "#/components/schemas/PlanRef"},
                "changes": {"$ref": "#/components/schemas/Changes"},
            },
            "required": ["code", "message", "plan", "published_plan", "changes"],
        },
        "Rebased": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "format": "int64"},
                "base_published_id": {"type": "integer", "format": "int64"},
                "previous_base_id": {"type": ["integer", "null"], "format": "int64"},
                "edits": {"type": "integer", "description": "The draft's own edits since its start."},
                "replayed": {"type": "integer", "description": "Edits in the rebased draft."},
                "conflicts": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer", "format": "int64", "description": "The draft's version that made the edit."},
                        "edit": {"type": "object"},
                        "kind": {"type": "string", "enum": ["grid_gone", "failed", "both_changed"]},
                        "applied": {"type": "boolean"},
                        "grid": {"type": ["string", "null"], "description": "Grid code."},
                        "fields": {"type": "array", "items": {"type": "string"}},
                        "buildings": {"type": "array", "items": {"type": "integer", "format": "int64"}},
                        "reason_code": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                    },
                }},
                "changes": {"$ref": "#/components/schemas/Changes"},
                "grids": {"type": "array", "items": {"type": "object"}},
                "can_undo": {"type": "boolean"},
                "can_redo": {"type": "boolean"},
            },
            "required": ["version", "base_published_id", "conflicts", "changes", "grids"],
        },
        "PartitionBody": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "format": "int64"},
                "mode": {"type": "string", "enum": ["fresh", "rebalance"]},
                "seed": {"type": "integer", "minimum": 0},
                "grids": {"type": ["array", "null"], "items": grid_key},
                "rules": {"oneOf": [{"$ref": "#/components/schemas/Rules"}, {"type": "null"}]},
                "best_effort": {"type": "boolean"},
            },
            "required": ["version"],
        },
        "EditBody": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "format": "int64"},
                "edit": {"$ref": "#/components/schemas/Edit"},
            },
            "required": ["version", "edit"],
        },
        "Edit": {
            "oneOf": [
                edit("move", json!({"buildings": {"type": "array", "items": {"type": "integer", "format": "int64"}}, "to": grid_key}), &["buildings", "to"]),
                edit("add_grid", json!({"name": {"type": ["string", "null"]}, "grid_kind": {"type": "string", "enum": ["basic", "dedicated"]}}), &[]),
                edit("split", json!({"grid": grid_key, "line": {"type": "array", "items": lonlat}}), &["grid", "line"]),
                edit("merge", json!({"grids": {"type": "array", "items": grid_key}}), &["grids"]),
                edit("draw", json!({"polygon": {"type": "array", "items": lonlat}, "grid": {"oneOf": [grid_key, {"type": "null"}]}}), &["polygon"]),
                edit("rename", json!({"grid": grid_key, "name": {"type": "string"}}), &["grid", "name"]),
                edit("recode", json!({"grid": grid_key, "code": {"type": "string"}}), &["grid", "code"]),
                edit("lock", json!({"grid": grid_key}), &["grid"]),
                edit("unlock", json!({"grid": grid_key}), &["grid"]),
                edit("set_kind", json!({"grid": grid_key, "grid_kind": {"type": "string", "enum": ["basic", "dedicated"]}}), &["grid", "grid_kind"]),
                edit("set_people", json!({"grid": grid_key, "people": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "role": {"type": "string", "enum": ["grid_leader", "grid_worker", "building_steward"]},
                        "phone": {"type": ["string", "null"]},
                    },
                    "required": ["name", "role"],
                }}}), &["grid", "people"]),
            ],
        },
    })
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every `(method, path)` the router's source registers (each `route`
    /// call with its `get(…)`, `.post(…)`… handlers) in `src/api/*.rs` and
    /// `src/web/*.rs`.
    fn routed() -> BTreeSet<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = BTreeSet::new();
        for dir in ["api", "web"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("source folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let src = std::fs::read_to_string(&path).expect("source");
                let needle = [".", "route("].concat();
                for rest in src.split(needle.as_str()).skip(1) {
                    let Some(rest) = rest.trim_start().strip_prefix('"') else {
                        continue;
                    };
                    let (route, handlers) = rest.split_once('"').expect("closing quote");
                    if !route.starts_with('/') {
                        continue; // prose in a doc comment, not a path
                    }
                    // The handlers up to the end of this `.route(…)` call.
                    let mut depth = 1;
                    let end = handlers
                        .char_indices()
                        .find(|&(_, c)| {
                            match c {
                                '(' => depth += 1,
                                ')' => depth -= 1,
                                _ => {}
                            }
                            depth == 0
                        })
                        .map_or(handlers.len(), |(i, _)| i);
                    let handlers = &handlers[..end];
                    let mut found = false;
                    for method in ["get", "post", "put", "patch", "delete"] {
                        let direct = handlers.trim_start().trim_start_matches(',').trim_start();
                        if direct.starts_with(&format!("{method}("))
                            || handlers.contains(&format!(".{method}("))
                        {
                            out.insert((method.to_owned(), route.to_owned()));
                            found = true;
                        }
                    }
                    assert!(found, "no method found for route {route}: {handlers}");
                }
            }
        }
        out
    }

    #[test]
    fn every_routed_operation_is_documented_and_nothing_else() {
        let routed = routed();
        assert!(routed.len() >= 40, "{routed:?}");
        let documented: BTreeSet<(String, String)> = OPERATIONS
            .iter()
            .map(|o| (o.method.to_owned(), o.route.to_owned()))
            .collect();
        assert_eq!(
            documented.len(),
            OPERATIONS.len(),
            "an operation is listed twice"
        );
        let missing: Vec<_> = routed.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "routed but not in OPERATIONS: {missing:?}"
        );
        let stale: Vec<_> = documented.difference(&routed).collect();
        assert!(stale.is_empty(), "in OPERATIONS but not routed: {stale:?}");
    }

    #[test]
    fn document_lists_every_operation_with_its_path_parameters() {
        let doc = document();
        for op in OPERATIONS {
            let o = &doc["paths"][op.doc_path()][op.method];
            assert!(o.is_object(), "{} {}", op.method, op.doc_path());
            // Every `{name}` of the documented path is a path parameter.
            let names: BTreeSet<&str> = op
                .doc_path()
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
                .collect();
            let params: BTreeSet<&str> = o["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().expect("name"))
                .collect();
            assert_eq!(names, params, "{} {}", op.method, op.doc_path());
            // Errors use the shared `{code, message}` shape.
            for (status, r) in o["responses"].as_object().expect("responses") {
                if status.starts_with('4') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error"
                    );
                }
            }
        }
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes");
        assert_eq!(
            schemes.keys().map(String::as_str).collect::<Vec<_>>(),
            ["bearer", "csrf", "session"]
        );
        // Every schema a document points at exists.
        let text = doc.to_string();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().expect("name");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "missing schema {name}"
            );
        }
    }
}
