//! [`TileBuilder`] and [`LayerBuilder`]: collect features, write the tile.

use geo::Geometry;

use crate::coord::{TileCoord, TileTransform};
use crate::encode::{
    FEATURE_GEOMETRY, FEATURE_ID, FEATURE_TAGS, FEATURE_TYPE, LAYER_EXTENT, LAYER_FEATURES,
    LAYER_NAME, LAYER_VERSION, TILE_LAYERS, WIRE_LEN, bytes_field_len, packed_len, tag_len,
    varint_field_len, varint_len, write_bytes_field, write_packed, write_tag, write_varint,
    write_varint_field,
};
use crate::error::TileError;
use crate::feature::Pipeline;
use crate::options::TileOptions;
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
            transform: TileTransform::new(coord, options.extent),
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
                self.layers
                    .push(LayerBuilder::new(name, self.transform, &self.options));
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
        self.transform = TileTransform::new(coord, self.options.extent);
        for layer in &mut self.layers {
            layer.reset(self.transform, &self.options);
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
}

impl LayerBuilder {
    fn new(name: &str, transform: TileTransform, options: &TileOptions) -> Self {
        Self {
            name: name.to_owned(),
            features: Vec::new(),
            feature_count: 0,
            keys: KeyTable::default(),
            values: ValueTable::default(),
            tags: Vec::new(),
            pipeline: Pipeline::new(transform, options),
        }
    }

    fn reset(&mut self, transform: TileTransform, options: &TileOptions) {
        self.features.clear();
        self.feature_count = 0;
        self.keys.clear();
        self.values.clear();
        self.pipeline.retarget(transform, options);
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
        self.write_feature(id, ty as u64);
        true
    }

    fn write_feature(&mut self, id: u64, ty: u64) {
        let geometry = &self.pipeline.commands.bytes;
        let tags_payload = packed_len(&self.tags);
        let geom_payload = geometry.len();
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
        write_bytes_field(buf, FEATURE_GEOMETRY, geometry);
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
