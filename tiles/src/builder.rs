//! [`TileBuilder`] and [`LayerBuilder`]: collect features, write the tile.

use geo::Geometry;

use crate::clip::Relation;
use crate::coord::{TileCoord, TileTransform};
use crate::encode::{
    FEATURE_GEOMETRY, FEATURE_ID, FEATURE_TAGS, FEATURE_TYPE, GeomType, LAYER_EXTENT,
    LAYER_FEATURES, LAYER_NAME, LAYER_VERSION, TILE_LAYERS, WIRE_LEN, bytes_field_len, packed_len,
    tag_len, varint_field_len, varint_len, write_bytes_field, write_packed, write_tag,
    write_varint, write_varint_field,
};
use crate::error::TileError;
use crate::feature::Pipeline;
use crate::options::TileOptions;
use crate::prepared::Prepared;
use crate::shape::Shape;
use crate::value::{KeyTable, Value, ValueTable};

/// Builds one vector tile: a list of named layers of features.
///
/// ```
/// use gridmap_tiles::{TileBuilder, TileCoord, TileOptions, Value};
/// use geo::{Geometry, point};
///
/// let coord = TileCoord::new(14, 13597, 6651)?;
/// let mut tile = TileBuilder::new(coord, TileOptions::default())?;
/// let centre = coord.bounds().center();
/// let written = tile.layer("poi").add(
///     7,
///     &Geometry::Point(point!(x: centre.x, y: centre.y)),
///     &[("name", Value::from("网格站")), ("floors", Value::Int(3))],
/// );
/// assert!(written);
/// let bytes: Vec<u8> = tile.encode();
/// assert!(!bytes.is_empty());
/// # Ok::<(), gridmap_tiles::TileError>(())
/// ```
#[derive(Debug)]
pub struct TileBuilder {
    coord: TileCoord,
    options: TileOptions,
    transform: TileTransform,
    layers: Vec<LayerBuilder>,
}

impl TileBuilder {
    /// Starts an empty tile.
    ///
    /// # Errors
    /// [`TileError::InvalidOptions`] if `options` fail
    /// [`TileOptions::validate`].
    pub fn new(coord: TileCoord, options: TileOptions) -> Result<Self, TileError> {
        options.validate()?;
        Ok(Self {
            coord,
            options,
            // The latitude fit is made by the layers that project lines or
            // rings (most tiles copy prepared geometry and project none).
            transform: TileTransform::without_fit(coord, options.extent),
            layers: Vec::new(),
        })
    }

    /// The tile being built.
    pub fn coord(&self) -> TileCoord {
        self.coord
    }

    /// The options in force.
    pub fn options(&self) -> &TileOptions {
        &self.options
    }

    /// The layer called `name`, created (empty, after the existing ones) on
    /// first use.
    pub fn layer(&mut self, name: &str) -> &mut LayerBuilder {
        let i = match self.layers.iter().position(|l| l.name == name) {
            Some(i) => i,
            None => {
                self.layers.push(LayerBuilder::new(
                    name,
                    self.coord,
                    self.transform,
                    &self.options,
                ));
                self.layers.len() - 1
            }
        };
        &mut self.layers[i]
    }

    /// Whether no feature has been written to any layer.
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(LayerBuilder::is_empty)
    }

    /// Empties every layer and points the builder at another tile, keeping
    /// all buffers: the cheap way to encode many tiles in a row.
    pub fn reset(&mut self, coord: TileCoord) {
        self.coord = coord;
        self.transform = TileTransform::without_fit(coord, self.options.extent);
        for layer in &mut self.layers {
            layer.reset(coord, self.transform, &self.options);
        }
    }

    /// Encodes the tile (MVT 2.1 protobuf, not compressed). Layers without
    /// features are left out; a tile without features encodes to no bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded tile to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let extent = u64::from(self.options.extent);
        let sizes = self.layers.iter().map(|l| l.body_len(extent));
        let total: usize = sizes
            .filter(|&s| s > 0)
            .map(|s| bytes_field_len(TILE_LAYERS, s))
            .sum();
        out.reserve(total);
        for layer in &self.layers {
            let len = layer.body_len(extent);
            if len == 0 {
                continue;
            }
            write_tag(out, TILE_LAYERS, WIRE_LEN);
            write_varint(out, len as u64);
            write_bytes_field(out, LAYER_NAME, layer.name.as_bytes());
            out.extend_from_slice(&layer.features);
            out.extend_from_slice(&layer.keys.encoded);
            out.extend_from_slice(&layer.values.encoded);
            write_varint_field(out, LAYER_EXTENT, extent);
            write_varint_field(out, LAYER_VERSION, 2);
        }
    }
}

/// One layer of a [`TileBuilder`]. Features go in through
/// [`LayerBuilder::add`]; keys and values are deduplicated per layer.
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    features: Vec<u8>,
    feature_count: usize,
    keys: KeyTable,
    values: ValueTable,
    tags: Vec<u32>,
    pipeline: Pipeline,
    /// The tile's zoom and top-left corner in world units of that zoom, for
    /// prepared features.
    z: u8,
    origin: (i64, i64),
}

/// The top-left corner of a tile in world units of its zoom.
fn origin_of(coord: TileCoord, options: &TileOptions) -> (i64, i64) {
    let extent = i64::from(options.extent);
    (i64::from(coord.x()) * extent, i64::from(coord.y()) * extent)
}

impl LayerBuilder {
    fn new(name: &str, coord: TileCoord, transform: TileTransform, options: &TileOptions) -> Self {
        Self {
            name: name.to_owned(),
            features: Vec::new(),
            feature_count: 0,
            keys: KeyTable::default(),
            values: ValueTable::default(),
            tags: Vec::new(),
            pipeline: Pipeline::new(transform, options),
            z: coord.z(),
            origin: origin_of(coord, options),
        }
    }

    fn reset(&mut self, coord: TileCoord, transform: TileTransform, options: &TileOptions) {
        self.features.clear();
        self.feature_count = 0;
        self.keys.clear();
        self.values.clear();
        self.pipeline.retarget(transform, options);
        self.z = coord.z();
        self.origin = origin_of(coord, options);
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of features written so far.
    pub fn len(&self) -> usize {
        self.feature_count
    }

    /// Whether no feature has been written.
    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }

    /// Adds a feature with WGS84 (lon/lat) geometry. Returns whether it was
    /// written: nothing is written (and its properties are not recorded) when
    /// its geometry lies outside the buffered tile or collapses once
    /// simplified and snapped to the grid, or when it is a geometry
    /// collection mixing points, lines and polygons. A repeated key keeps
    /// its first value.
    pub fn add(
        &mut self,
        id: u64,
        geometry: &Geometry<f64>,
        properties: &[(&str, Value<'_>)],
    ) -> bool {
        self.add_with(id, geometry, properties.iter().map(|(k, v)| (*k, v)))
    }

    /// [`LayerBuilder::add`] with the properties from an iterator.
    pub fn add_with<'p, 'v: 'p, I>(
        &mut self,
        id: u64,
        geometry: &Geometry<f64>,
        properties: I,
    ) -> bool
    where
        I: IntoIterator<Item = (&'p str, &'p Value<'v>)>,
    {
        self.add_shape(id, Shape::Geometry(geometry), properties)
    }

    /// [`LayerBuilder::add_with`] for a borrowed [`Shape`]: callers that keep
    /// their geometry as `MultiPolygon`, `LineString` or `Point` need not
    /// build (clone into) a `Geometry` per feature.
    pub fn add_shape<'p, 'v: 'p, I>(&mut self, id: u64, shape: Shape<'_>, properties: I) -> bool
    where
        I: IntoIterator<Item = (&'p str, &'p Value<'v>)>,
    {
        let Some(ty) = self.pipeline.encode_shape(shape) else {
            return false;
        };
        self.finish_feature(id, ty, properties);
        true
    }

    /// Adds a feature from its geometry prepared for this tile's zoom
    /// ([`crate::Preparer`], same options as the tile): written by copy when
    /// the tile holds it whole, clipped from the prepared geometry when it
    /// crosses the tile's edge. `shape` is the same feature's source
    /// geometry, encoded directly instead if `prepared` is for another zoom.
    /// Returns whether anything was written, as [`LayerBuilder::add_shape`].
    pub fn add_prepared<'p, 'v: 'p, I>(
        &mut self,
        id: u64,
        prepared: &Prepared,
        shape: Shape<'_>,
        properties: I,
    ) -> bool
    where
        I: IntoIterator<Item = (&'p str, &'p Value<'v>)>,
    {
        if prepared.zoom() != self.z {
            return self.add_shape(id, shape, properties);
        }
        let Some(ty) = prepared.geom_type() else {
            return false;
        };
        match self.pipeline.relate_prepared(prepared, self.origin) {
            Relation::Outside => false,
            Relation::Inside => {
                // Written straight from the prepared commands.
                self.record_tags(properties);
                self.write_feature(id, ty as u64, Some(prepared));
                true
            }
            Relation::Crossing => {
                if !self.pipeline.clip_prepared(prepared, ty, self.origin) {
                    return false;
                }
                self.finish_feature(id, ty, properties);
                true
            }
        }
    }

    /// Records the properties and writes the feature whose geometry is in
    /// the pipeline.
    fn finish_feature<'p, 'v: 'p, I>(&mut self, id: u64, ty: GeomType, properties: I)
    where
        I: IntoIterator<Item = (&'p str, &'p Value<'v>)>,
    {
        self.record_tags(properties);
        self.write_feature(id, ty as u64, None);
    }

    /// Fills `self.tags` with the key and value indices of `properties`.
    fn record_tags<'p, 'v: 'p, I>(&mut self, properties: I)
    where
        I: IntoIterator<Item = (&'p str, &'p Value<'v>)>,
    {
        self.tags.clear();
        for (position, (key, value)) in properties.into_iter().enumerate() {
            let k = self.keys.index_of(position, key);
            if self.tags.chunks_exact(2).any(|kv| kv[0] == k) {
                continue;
            }
            let v = self.values.index_of(value);
            self.tags.push(k);
            self.tags.push(v);
        }
    }

    /// Writes a feature with the recorded tags and the geometry of
    /// `prepared` in this tile, or else the pipeline's commands.
    fn write_feature(&mut self, id: u64, ty: u64, prepared: Option<&Prepared>) {
        let geometry = &self.pipeline.commands.bytes;
        let tags_payload = packed_len(&self.tags);
        let geom_payload = prepared.map_or(geometry.len(), |p| p.commands_len(self.origin));
        let mut len = varint_field_len(FEATURE_ID, id)
            + varint_field_len(FEATURE_TYPE, ty)
            + bytes_field_len(FEATURE_GEOMETRY, geom_payload);
        if !self.tags.is_empty() {
            len += bytes_field_len(FEATURE_TAGS, tags_payload);
        }
        let buf = &mut self.features;
        buf.reserve(tag_len(LAYER_FEATURES) + varint_len(len as u64) + len);
        write_tag(buf, LAYER_FEATURES, WIRE_LEN);
        write_varint(buf, len as u64);
        write_varint_field(buf, FEATURE_ID, id);
        if !self.tags.is_empty() {
            write_packed(buf, FEATURE_TAGS, &self.tags, tags_payload);
        }
        write_varint_field(buf, FEATURE_TYPE, ty);
        match prepared {
            Some(p) => {
                write_tag(buf, FEATURE_GEOMETRY, WIRE_LEN);
                write_varint(buf, geom_payload as u64);
                p.write_commands(self.origin, buf);
            }
            None => write_bytes_field(buf, FEATURE_GEOMETRY, geometry),
        }
        self.feature_count += 1;
    }

    /// Size of the encoded `Layer` message, or 0 when it has no features.
    fn body_len(&self, extent: u64) -> usize {
        if self.feature_count == 0 {
            return 0;
        }
        bytes_field_len(LAYER_NAME, self.name.len())
            + self.features.len()
            + self.keys.encoded.len()
            + self.values.encoded.len()
            + varint_field_len(LAYER_EXTENT, extent)
            + varint_field_len(LAYER_VERSION, 2)
    }
}
