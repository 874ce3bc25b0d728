"""Pure checks of OCI image documents, blobs and layers (no I/O beyond the streams given).

``declarations()`` lists, per check, the clause ids it judges: an explicit table (each id
written whole, as at its judging site), covering the image, Docker and appc checks and the
image-source walks in ``drivers/image_sources`` that hand those checks their input.
"""
from __future__ import annotations

from oci_conform.model.declaration import Declaration

CHECKS: tuple[Declaration, ...] = (
    Declaration("image:annotations", "oci_conform.checks.image.annotations:check_annotations", (
        "image.annotations.pre-defined-annotation-keys.3",
        "image.annotations.pre-defined-annotation-keys.4",
        "image.annotations.pre-defined-annotation-keys.7",
        "image.annotations.pre-defined-annotation-keys.8", "image.annotations.rules.1",
        "image.annotations.rules.2", "image.annotations.rules.3", "image.annotations.rules.4",
        "image.annotations.rules.7", "image.config.properties.27",
    ), "image", "oci-conform image validate-document --media-type manifest FILE"),
    Declaration("image:blobs", "oci_conform.checks.image.blobs:judge_blob", (
        "image.descriptor.properties.5",
    ), "image", "oci-conform image validate REF"),
    Declaration("image:config", "oci_conform.checks.image.config:check_config", (
        "image.config.json-object", "image.config.properties.11", "image.config.properties.13",
        "image.config.properties.14", "image.config.properties.15", "image.config.properties.16",
        "image.config.properties.18", "image.config.properties.19", "image.config.properties.2",
        "image.config.properties.20", "image.config.properties.21", "image.config.properties.22",
        "image.config.properties.24", "image.config.properties.25", "image.config.properties.27",
        "image.config.properties.28", "image.config.properties.29", "image.config.properties.3",
        "image.config.properties.30", "image.config.properties.31", "image.config.properties.32",
        "image.config.properties.33", "image.config.properties.34", "image.config.properties.35",
        "image.config.properties.36", "image.config.properties.38", "image.config.properties.39",
        "image.config.properties.4", "image.config.properties.40", "image.config.properties.41",
        "image.config.properties.42", "image.config.properties.43", "image.config.properties.44",
        "image.config.properties.5", "image.config.properties.6", "image.config.properties.7",
        "image.config.properties.8", "image.config.property-formats",
        "image.config.property-types", "image.manifest.image-manifest-property-descriptions.19",
    ), "image", "oci-conform image validate-document --media-type config FILE"),
    Declaration("image:conversion", "oci_conform.checks.image.conversion:judge_conversion", (
        "image.config.properties.17", "image.config.properties.23",
        "image.conversion.annotation-fields.1", "image.conversion.annotation-fields.2",
        "image.conversion.annotation-fields.3", "image.conversion.annotation-fields.4",
        "image.conversion.annotation-fields.5", "image.conversion.annotation-fields.6",
        "image.conversion.annotation-fields.7", "image.conversion.annotation-fields.8",
        "image.conversion.annotation-fields.9", "image.conversion.annotations.1",
        "image.conversion.annotations.2", "image.conversion.annotations.4",
        "image.conversion.configexposedports.1", "image.conversion.configuser.1",
        "image.conversion.configuser.2", "image.conversion.configuser.4",
        "image.conversion.configuser.6", "image.conversion.optional-fields.1",
        "image.conversion.optional-fields.2", "image.conversion.optional-fields.3",
        "image.conversion.optional-fields.4", "image.conversion.parsed-fields.1",
        "image.conversion.to-oci-runtime-configuration.1",
        "image.conversion.to-oci-runtime-configuration.5", "image.conversion.verbatim-fields.1",
        "image.conversion.verbatim-fields.2", "image.conversion.verbatim-fields.3",
    ), "image", "oci-conform matrix --suite image-tools --image-tool umoci"),
    Declaration("image:descriptor", "oci_conform.checks.image.descriptor:check_descriptor", (
        "image.descriptor.digests.1", "image.descriptor.json-object",
        "image.descriptor.properties.1", "image.descriptor.properties.11",
        "image.descriptor.properties.13", "image.descriptor.properties.14",
        "image.descriptor.properties.16", "image.descriptor.properties.2",
        "image.descriptor.properties.3", "image.descriptor.properties.5",
        "image.descriptor.properties.8", "image.descriptor.properties.9",
        "image.descriptor.property-types", "image.descriptor.registered-algorithms.1",
        "image.descriptor.size.nonnegative",
    ), "image", "oci-conform image validate-document --media-type descriptor FILE"),
    Declaration("image:document", "oci_conform.checks.image.document:validate_document", (
        "appc.aci.manifest.json", "docker.image.json-object", "docker.manifest-list.json-object",
        "docker.manifest-v2-2.json-object", "docker.schema1.deprecated",
        "image.config.json-object", "image.considerations.json.utf-8",
        "image.descriptor.json-object", "image.image-index.json-object",
        "image.image-layout.content.4", "image.image-layout.content.5",
        "image.manifest.json-object",
    ), "image", "oci-conform image validate-document FILE"),
    Declaration("image:digest", "oci_conform.checks.image.grammar:digest_problems", (
        "image.descriptor.blake3.encoded", "image.descriptor.blake3.lowercase",
        "image.descriptor.digests.1", "image.descriptor.properties.3",
        "image.descriptor.sha-256.2", "image.descriptor.sha-256.3", "image.descriptor.sha-512.2",
        "image.descriptor.sha-512.3",
    ), "image", "oci-conform image validate-document --media-type descriptor FILE"),
    Declaration("image:index", "oci_conform.checks.image.index:check_index", (
        "image.descriptor.properties.17", "image.image-index.json-object",
        "image.image-index.property-descriptions.1", "image.image-index.property-descriptions.12",
        "image.image-index.property-descriptions.17", "image.image-index.property-descriptions.18",
        "image.image-index.property-descriptions.19", "image.image-index.property-descriptions.2",
        "image.image-index.property-descriptions.20", "image.image-index.property-descriptions.21",
        "image.image-index.property-descriptions.23", "image.image-index.property-descriptions.24",
        "image.image-index.property-descriptions.26", "image.image-index.property-descriptions.27",
        "image.image-index.property-descriptions.31", "image.image-index.property-descriptions.4",
        "image.image-index.property-descriptions.5", "image.image-index.property-descriptions.7",
        "image.image-index.property-descriptions.8", "image.image-index.property-descriptions.9",
        "image.image-index.property-types",
    ), "image", "oci-conform image validate-document --media-type index FILE"),
    Declaration("image:json", "oci_conform.checks.image.jsondoc:parse_json", (
        "image.considerations.json.1", "image.considerations.json.ieee754-numbers",
        "image.considerations.json.ijson", "image.considerations.json.no-duplicate-names",
        "image.considerations.json.utf-8",
    ), "image", "oci-conform image validate-document FILE"),
    Declaration("image:layer", "oci_conform.checks.image.layer:scan_layer", (
        "docker.layer.hardlink-target-earlier", "docker.layer.paths-inside-root",
        "docker.layer.utf-8-names", "image.config.properties.38",
        "image.layer.distributable-format.1", "image.layer.distributable-format.2",
        "image.layer.file-attributes.2", "image.layer.opaque-whiteout.1-b",
        "image.layer.whiteouts.2", "image.layer.whiteouts.3", "image.layer.whiteouts.no-basename",
    ), "image", "oci-conform image validate REF"),
    Declaration("image:manifest", "oci_conform.checks.image.manifest:check_manifest", (
        "image.layer.non-distributable-layers.1", "image.manifest.guidelines-for-artifact-usage.2",
        "image.manifest.guidelines-for-artifact-usage.4",
        "image.manifest.image-manifest-property-descriptions.1",
        "image.manifest.image-manifest-property-descriptions.13",
        "image.manifest.image-manifest-property-descriptions.15",
        "image.manifest.image-manifest-property-descriptions.16",
        "image.manifest.image-manifest-property-descriptions.17",
        "image.manifest.image-manifest-property-descriptions.2",
        "image.manifest.image-manifest-property-descriptions.22",
        "image.manifest.image-manifest-property-descriptions.25",
        "image.manifest.image-manifest-property-descriptions.28",
        "image.manifest.image-manifest-property-descriptions.3",
        "image.manifest.image-manifest-property-descriptions.4",
        "image.manifest.image-manifest-property-descriptions.6",
        "image.manifest.image-manifest-property-descriptions.7",
        "image.manifest.image-manifest-property-descriptions.9", "image.manifest.json-object",
        "image.manifest.property-types",
    ), "image", "oci-conform image validate-document --media-type manifest FILE"),
    Declaration("image:declared-version", "oci_conform.checks.image.report:Report.newer_field", (
        "image.spec.declared-version",
    ), "image", "oci-conform image validate-document --spec-version 1.0.2 FILE"),
    Declaration("docker:image-config", "oci_conform.checks.docker.config:check_image_json", (
        "docker.image.architecture", "docker.image.created", "docker.image.env",
        "docker.image.history", "docker.image.json-object", "docker.image.os",
        "docker.image.property-types", "docker.image.rootfs",
    ), "image", "oci-conform image validate-document --media-type docker-config FILE"),
    Declaration("docker:manifest", "oci_conform.checks.docker.manifest:check_v2s2", (
        "docker.manifest-list.entry-media-type", "docker.manifest-list.json-object",
        "docker.manifest-list.manifests", "docker.manifest-list.media-type",
        "docker.manifest-list.platform", "docker.manifest-list.platform-values",
        "docker.manifest-list.schema-version", "docker.manifest-v2-2.config",
        "docker.manifest-v2-2.config-media-type", "docker.manifest-v2-2.digest",
        "docker.manifest-v2-2.json-object", "docker.manifest-v2-2.layer-media-type",
        "docker.manifest-v2-2.layers", "docker.manifest-v2-2.media-type",
        "docker.manifest-v2-2.property-types", "docker.manifest-v2-2.schema-version",
        "docker.manifest-v2-2.size", "docker.manifest-v2-2.urls", "docker.schema1.deprecated",
    ), "image", "oci-conform image validate-document --media-type docker-manifest FILE"),
    Declaration("appc:aci", "oci_conform.checks.appc.aci:check_aci", (
        "appc.aci.archive.compression", "appc.aci.archive.suffix", "appc.aci.archive.tar",
        "appc.aci.archive.top-level", "appc.aci.image-id", "appc.aci.manifest.json",
        "docker.layer.paths-inside-root",
    ), "image", "oci-conform image validate aci:FILE"),
    Declaration("appc:manifest", "oci_conform.checks.appc.manifest:check_image_manifest", (
        "appc.aci.image-id", "appc.aci.manifest.json", "appc.manifest.ac-kind",
        "appc.manifest.ac-version", "appc.manifest.annotations", "appc.manifest.app",
        "appc.manifest.app-environment", "appc.manifest.app-event-handlers",
        "appc.manifest.app-isolators", "appc.manifest.app-mount-points", "appc.manifest.app-ports",
        "appc.manifest.app-working-directory", "appc.manifest.dependencies",
        "appc.manifest.labels", "appc.manifest.name", "appc.manifest.os-arch",
        "appc.manifest.path-whitelist",
    ), "image", "oci-conform image validate-document --media-type appc-manifest FILE"),
    Declaration("image:walk", "oci_conform.drivers.image_sources.walk:walk_descriptor", (
        "image.config.json-object", "image.image-index.json-object",
        "image.image-index.property-descriptions.9", "image.manifest.json-object",
    ), "image", "oci-conform image validate REF"),
    Declaration("image:layout", "oci_conform.drivers.image_sources.layout:validate_layout", (
        "image.image-layout.blobs.1", "image.image-layout.blobs.2", "image.image-layout.blobs.3",
        "image.image-layout.blobs.4", "image.image-layout.content.2",
        "image.image-layout.content.3", "image.image-layout.content.4",
        "image.image-layout.content.5", "image.image-layout.content.7",
        "image.image-layout.content.8",
    ), "image", "oci-conform image validate oci:DIR"),
    Declaration("docker:archive",
                "oci_conform.drivers.image_sources.docker_archive:validate_docker_archive", (
        "docker.image.json-object", "docker.save.config-id", "docker.save.layers-match",
        "docker.save.legacy-layer-folder", "docker.save.legacy-version",
        "docker.save.manifest-json", "docker.save.parent", "docker.save.paths-exist",
        "docker.save.repositories",
    ), "image", "oci-conform image validate docker-archive:FILE"),
    Declaration("image:registry",
                "oci_conform.drivers.image_sources.registry_walk:validate_registry_image", (
        "image.descriptor.properties.3", "image.manifest.image-manifest-property-descriptions.1",
    ), "image", "oci-conform image validate docker://HOST/NAME:TAG"),
    Declaration("image:validate", "oci_conform.drivers.image_sources.validate:validate_ref", (
        "appc.aci.archive.tar", "docker.manifest-v2-2.schema-version", "docker.save.manifest-json",
        "image.image-layout.content.3",
    ), "image", "oci-conform image validate REF"),
)

def declarations() -> list[Declaration]:
    """What ``image validate`` and ``image validate-document`` judge, check by check."""
    return list(CHECKS)
