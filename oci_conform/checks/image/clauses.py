"""The clause ids the image checks judge, by what they mean (one place to keep them)."""
from __future__ import annotations

# descriptor.md
DESC_MEDIATYPE = "image.descriptor.properties.1"
DESC_MEDIATYPE_GRAMMAR = "image.descriptor.properties.2"
DESC_DIGEST = "image.descriptor.properties.3"
DESC_SIZE = "image.descriptor.properties.5"
DESC_SIZE_NONNEG = "image.descriptor.size.nonnegative"          # main only
DESC_URLS = "image.descriptor.properties.8"
DESC_URLS_SCHEME = "image.descriptor.properties.9"
DESC_ANNOTATIONS = "image.descriptor.properties.11"
DESC_DATA_BASE64 = "image.descriptor.properties.13"
DESC_DATA_MATCH = "image.descriptor.properties.14"
DESC_ARTIFACTTYPE = "image.descriptor.properties.16"
DESC_PLATFORM = "image.descriptor.properties.17"
DIGEST_GRAMMAR = "image.descriptor.digests.1"
DIGEST_SHA256_ENC = "image.descriptor.sha-256.2"
DIGEST_SHA256_CASE = "image.descriptor.sha-256.3"
DIGEST_SHA512_ENC = "image.descriptor.sha-512.2"
DIGEST_SHA512_CASE = "image.descriptor.sha-512.3"
DIGEST_BLAKE3_ENC = "image.descriptor.blake3.encoded"            # main only
DIGEST_BLAKE3_CASE = "image.descriptor.blake3.lowercase"         # main only
DESC_VERIFY = "image.descriptor.verification.1"

# manifest.md
MAN_SCHEMA_REQUIRED = "image.manifest.image-manifest-property-descriptions.1"
MAN_SCHEMA_2 = "image.manifest.image-manifest-property-descriptions.2"
MAN_MEDIATYPE = "image.manifest.image-manifest-property-descriptions.4"
MAN_ARTIFACT_WHEN_EMPTY = "image.manifest.image-manifest-property-descriptions.6"
MAN_ARTIFACTTYPE = "image.manifest.image-manifest-property-descriptions.7"
MAN_CONFIG = "image.manifest.image-manifest-property-descriptions.9"
MAN_CONFIG_MT = "image.manifest.image-manifest-property-descriptions.15"
MAN_LAYERS_DESC = "image.manifest.image-manifest-property-descriptions.16"
MAN_LAYERS_NONEMPTY = "image.manifest.image-manifest-property-descriptions.17"
MAN_LAYER_MT = "image.manifest.image-manifest-property-descriptions.25"
MAN_ANNOTATIONS = "image.manifest.image-manifest-property-descriptions.28"

# image-index.md
IDX_SCHEMA_REQUIRED = "image.image-index.property-descriptions.1"
IDX_SCHEMA_2 = "image.image-index.property-descriptions.2"
IDX_MEDIATYPE = "image.image-index.property-descriptions.5"
IDX_ARTIFACTTYPE = "image.image-index.property-descriptions.7"
IDX_MANIFESTS = "image.image-index.property-descriptions.9"
IDX_PLATFORM_PRESENT = "image.image-index.property-descriptions.16"
IDX_ARCH = "image.image-index.property-descriptions.17"
IDX_GOARCH = "image.image-index.property-descriptions.18"
IDX_OS = "image.image-index.property-descriptions.19"
IDX_GOOS = "image.image-index.property-descriptions.20"
IDX_VARIANT = "image.image-index.property-descriptions.27"
IDX_ANNOTATIONS = "image.image-index.property-descriptions.31"

# config.md
CFG_ARCH = "image.config.properties.4"
CFG_GOARCH = "image.config.properties.5"
CFG_OS = "image.config.properties.6"
CFG_GOOS = "image.config.properties.7"
CFG_VARIANT = "image.config.properties.15"
CFG_USER = "image.config.properties.18"
CFG_ENV = "image.config.properties.20"
CFG_LABELS = "image.config.properties.27"
CFG_ROOTFS = "image.config.properties.34"
CFG_ROOTFS_TYPE = "image.config.properties.36"
CFG_DIFF_IDS = "image.config.properties.38"
CFG_HISTORY_EMPTY = "image.config.properties.44"

# annotations.md
ANN_STRINGS = "image.annotations.rules.1"
ANN_REFNAME_WHERE = "image.annotations.pre-defined-annotation-keys.3"
ANN_REFNAME_CHARS = "image.annotations.pre-defined-annotation-keys.4"

# image-layout.md
LAYOUT_BLOBS_DIR = "image.image-layout.content.2"
LAYOUT_FILE_EXISTS = "image.image-layout.content.3"
LAYOUT_FILE_OBJECT = "image.image-layout.content.4"
LAYOUT_FILE_VERSION = "image.image-layout.content.5"
LAYOUT_INDEX_EXISTS = "image.image-layout.content.7"
LAYOUT_INDEX_IS_INDEX = "image.image-layout.content.8"
LAYOUT_BLOB_MATCHES = "image.image-layout.blobs.1"
LAYOUT_BLOB_NAMES = "image.image-layout.blobs.2"
LAYOUT_UNREFERENCED = "image.image-layout.blobs.3"
LAYOUT_MISSING = "image.image-layout.blobs.4"

# layer.md
LAYER_TAR = "image.layer.distributable-format.1"
LAYER_DUPLICATES = "image.layer.distributable-format.2"
LAYER_WHITEOUT_SAME_LAYER = "image.layer.whiteouts.2"
LAYER_WHITEOUT_NO_NAME = "image.layer.whiteouts.no-basename"     # main only
LAYER_NONDISTRIBUTABLE = "image.layer.non-distributable-layers.1"

# considerations.md (I-JSON rules are main only)
JSON_UTF8 = "image.considerations.json.utf-8"
JSON_DUPLICATES = "image.considerations.json.no-duplicate-names"
JSON_NUMBERS = "image.considerations.json.ieee754-numbers"

# Tar safety rules with no image-spec sentence: derived from Docker's changeset format.
TAR_PATH_RELATIVE = "docker.layer.paths-inside-root"
TAR_HARDLINK_TARGET = "docker.layer.hardlink-target-earlier"
TAR_UTF8_NAMES = "docker.layer.utf-8-names"
LAYER_SPARSE = "image.layer.file-attributes.2"
