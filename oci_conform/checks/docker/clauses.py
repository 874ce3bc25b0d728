"""Docker clause ids (defined in catalog/data/docker/*.toml)."""
from __future__ import annotations

M_SCHEMA = "docker.manifest-v2-2.schema-version"
M_MEDIATYPE = "docker.manifest-v2-2.media-type"
M_CONFIG = "docker.manifest-v2-2.config"
M_CONFIG_MT = "docker.manifest-v2-2.config-media-type"
M_LAYERS = "docker.manifest-v2-2.layers"
M_LAYER_MT = "docker.manifest-v2-2.layer-media-type"
M_DIGEST = "docker.manifest-v2-2.digest"
M_SIZE = "docker.manifest-v2-2.size"
M_URLS = "docker.manifest-v2-2.urls"
L_SCHEMA = "docker.manifest-list.schema-version"
L_MEDIATYPE = "docker.manifest-list.media-type"
L_MANIFESTS = "docker.manifest-list.manifests"
L_PLATFORM = "docker.manifest-list.platform"
L_PLATFORM_VALUES = "docker.manifest-list.platform-values"
L_ENTRY_MT = "docker.manifest-list.entry-media-type"
SCHEMA1 = "docker.schema1.deprecated"
I_ARCH = "docker.image.architecture"
I_OS = "docker.image.os"
I_ROOTFS = "docker.image.rootfs"
I_DIFF_IDS = "docker.image.diff-ids"
I_HISTORY = "docker.image.history"
I_CREATED = "docker.image.created"
I_ENV = "docker.image.env"
S_MANIFEST = "docker.save.manifest-json"
S_PATHS = "docker.save.paths-exist"
S_PARENT = "docker.save.parent"
S_REPOSITORIES = "docker.save.repositories"
S_LEGACY = "docker.save.legacy-layer-folder"
S_LEGACY_VERSION = "docker.save.legacy-version"
S_CONFIG_ID = "docker.save.config-id"
S_LAYERS_MATCH = "docker.save.layers-match"

MT_V2S2 = "application/vnd.docker.distribution.manifest.v2+json"
MT_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
MT_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
LAYER_TYPES = ("application/vnd.docker.image.rootfs.diff.tar.gzip",
               "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
               "application/vnd.docker.image.rootfs.diff.tar",
               "application/vnd.docker.image.rootfs.diff.tar.zstd",
               "application/vnd.oci.image.layer.v1.tar+gzip",
               "application/vnd.oci.image.layer.v1.tar",
               "application/vnd.oci.image.layer.v1.tar+zstd")
