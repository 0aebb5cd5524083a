# The regions: one per file in config/regions/. Nothing else lists them, so adding a region is
# adding its YAML file (docs/deployment.md). tests/deploy/check.mjs applies the same rules
# offline in CI.

locals {
  repo_root   = "${path.module}/../.."
  regions_dir = "${local.repo_root}/config/regions"

  # demo.yaml is the single-node loopback config that scripts/demo.sh runs, not a deployment.
  excluded_region_files = ["demo.yaml"]

  # A region file configures a node (node.region is set); other YAML files there are parts
  # that region files include.
  region_configs = {
    for f in fileset(local.regions_dir, "*.yaml") :
    trimsuffix(f, ".yaml") => yamldecode(file("${local.regions_dir}/${f}"))
    if !contains(local.excluded_region_files, f) && can(yamldecode(file("${local.regions_dir}/${f}")).node.region)
  }

  # AWS region -> jurisdiction, from the table the node itself compiles in.
  aws_region_jurisdiction = merge([
    for jurisdiction, names in yamldecode(file("${local.repo_root}/config/cloud_regions.yaml")).aws :
    { for name in names : name => jurisdiction }
  ]...)

  # The node's default jurisdictions, overridden by any a region config declares itself.
  jurisdictions = merge(
    yamldecode(file("${local.repo_root}/config/jurisdictions.yaml")).jurisdictions,
    [for cfg in values(local.region_configs) : try(cfg.jurisdictions, {})]...
  )

  regions = {
    for name, cfg in local.region_configs : name => {
      config          = cfg
      jurisdiction    = cfg.node.jurisdiction
      aws_region      = lookup(var.aws_regions, name, "${name}-1")
      client_port     = tonumber(regex("[0-9]+$", cfg.node.listen))
      admin_port      = tonumber(regex("[0-9]+$", cfg.node.admin_listen))
      federation_port = can(cfg.federation.listen) ? tonumber(regex("[0-9]+$", cfg.federation.listen)) : null
      peers           = try(cfg.federation.peers, [])
      includes        = try(cfg.include, [])
      instance_type   = coalesce(try(var.region_sizes[name].instance_type, null), var.instance_type)
      min_size        = coalesce(try(var.region_sizes[name].min_size, null), var.min_size)
      max_size        = coalesce(try(var.region_sizes[name].max_size, null), var.max_size)
    }
  }

  # Where each region's config goes on the instance, relative to /etc/llm-edge (the service's
  # working directory): the repository's own layout, so that includes resolve as in the repo.
  config_path = { for name in keys(local.regions) : name => "config/regions/${name}.yaml" }

  # Included files (two levels), keyed by their path relative to the repository root. An
  # include is relative to the including file when that file exists, else to the root.
  includes_1 = {
    for name, r in local.regions : name => [
      for inc in r.includes :
      fileexists("${local.regions_dir}/${inc}") ? "config/regions/${inc}" : inc
    ]
  }
  includes_2 = {
    for name, paths in local.includes_1 : name => flatten([
      for p in paths : [
        for inc in try(yamldecode(file("${local.repo_root}/${p}")).include, []) :
        fileexists("${local.repo_root}/${dirname(p)}/${inc}") ? "${dirname(p)}/${inc}" : inc
      ]
    ])
  }
  # a/b/../c -> a/c, twice: enough for the repository's depth.
  config_files = {
    for name in keys(local.regions) : name => {
      for p in distinct(concat(local.includes_1[name], local.includes_2[name])) :
      replace(replace(p, "/[^/.][^/]*/\\.\\.//", ""), "/[^/.][^/]*/\\.\\.//", "") => file("${local.repo_root}/${p}")
    }
  }
}

# Plan fails here, naming the region, when a config cannot be deployed as written.
resource "terraform_data" "region_check" {
  for_each = local.regions

  input = each.key

  lifecycle {
    precondition {
      condition     = each.value.config.node.region == each.key
      error_message = "config/regions/${each.key}.yaml sets node.region ${each.value.config.node.region}: the file name and node.region must be equal."
    }

    precondition {
      condition     = contains(keys(local.aws_region_jurisdiction), each.value.aws_region)
      error_message = "Region ${each.key} would run in AWS region ${each.value.aws_region}, which config/cloud_regions.yaml does not list: set var.aws_regions[\"${each.key}\"]."
    }

    precondition {
      condition     = !try(local.jurisdictions[each.value.jurisdiction].pinned, false) || lookup(local.aws_region_jurisdiction, each.value.aws_region, "") == each.value.jurisdiction
      error_message = "Region ${each.key} serves the pinned jurisdiction ${each.value.jurisdiction} but AWS region ${each.value.aws_region} is not in it (config/cloud_regions.yaml): its callers' requests would be processed outside."
    }

    precondition {
      condition     = length(distinct([each.value.client_port, each.value.admin_port, coalesce(each.value.federation_port, -1)])) == 3
      error_message = "Region ${each.key}: node.listen, node.admin_listen and federation.listen need three different ports."
    }

    precondition {
      condition = each.value.federation_port == null || alltrue([
        for other, o in local.regions :
        contains(each.value.peers, "gossip.${other}.${var.gossip_zone}:${coalesce(o.federation_port, 0)}") if other != each.key
      ])
      error_message = "Region ${each.key}: federation.peers must list gossip.<region>.${var.gossip_zone}:<its federation port> for every other region (the names regions.tf publishes)."
    }

    precondition {
      condition     = alltrue([for p in keys(local.config_files[each.key]) : !startswith(p, "../") && !startswith(p, "/")])
      error_message = "Region ${each.key} includes a file outside the repository: only files under it are shipped to the nodes."
    }
  }
}
