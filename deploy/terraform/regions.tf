# The regions: one per file in config/regions/. Nothing else lists them, so adding a region is
# adding its YAML file (docs/deployment.md). tests/deploy/check.mjs applies the same rules
# offline in CI.

locals {
  repo_root   = "${path.module}/../.."
  config_dir  = "${local.repo_root}/config"
  regions_dir = "${local.config_dir}/regions"

  # demo.yaml is the loopback demo cluster's eu-west node (scripts/demo.sh), not a deployment.
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
    for jurisdiction, names in yamldecode(file("${local.config_dir}/cloud_regions.yaml")).aws :
    { for name in names : name => jurisdiction }
  ]...)

  # The node's built-in jurisdictions, and those the region configs declare (with includes).
  jurisdictions = merge(
    yamldecode(file("${local.config_dir}/jurisdictions.yaml")).jurisdictions,
    [for m in values(local.merged) : m.jurisdictions]...
  )

  # A region's config as the node reads it, for the sections Terraform needs: its includes
  # (relative to the including file, two levels deep) merged in order, then the file itself,
  # each section key by key with the later file winning (config/include.cc's rule, one level
  # deep). Paths are relative to config/, as on the nodes (/etc/llm-edge).
  include_depth_2 = {
    for name, cfg in local.region_configs : name => flatten([
      for inc in try(cfg.include, []) : [
        for inc2 in try(yamldecode(file("${local.config_dir}/regions/${inc}")).include, []) : "${dirname("regions/${inc}")}/${inc2}"
      ]
    ])
  }
  include_chain = {
    for name, cfg in local.region_configs : name => distinct([
      for raw in flatten([
        for inc in try(cfg.include, []) : concat(
          [for inc2 in try(yamldecode(file("${local.config_dir}/regions/${inc}")).include, []) : "${dirname("regions/${inc}")}/${inc2}"],
          ["regions/${inc}"],
        )
      ]) : replace(replace(replace(raw, "/[^/.][^/]*/\\.\\.//", ""), "/[^/.][^/]*/\\.\\.//", ""), "/[^/.][^/]*/\\.\\.//", "")
    ])
  }
  merged = {
    for name, cfg in local.region_configs : name => {
      for section in ["node", "federation", "jurisdictions"] : section => merge(concat(
        [for p in local.include_chain[name] : try(yamldecode(file("${local.config_dir}/${p}"))[section], {})],
        [try(cfg[section], {})],
      )...)
    }
  }

  regions = {
    for name, m in local.merged : name => {
      config          = m
      jurisdiction    = m.node.jurisdiction
      aws_region      = lookup(var.aws_regions, name, "${name}-1")
      client_port     = tonumber(regex("[0-9]+$", m.node.listen))
      admin_port      = tonumber(regex("[0-9]+$", m.node.admin_listen))
      federation_port = can(m.federation.listen) ? tonumber(regex("[0-9]+$", m.federation.listen)) : null
      peers           = try(m.federation.peers, [])
      instance_type   = coalesce(try(var.region_sizes[name].instance_type, null), var.instance_type)
      min_size        = coalesce(try(var.region_sizes[name].min_size, null), var.min_size)
      max_size        = coalesce(try(var.region_sizes[name].max_size, null), var.max_size)
    }
  }

  # The files each region's nodes get, verbatim, by path relative to config/ (on a node,
  # relative to /etc/llm-edge): the region file and everything it includes.
  config_files = {
    for name in keys(local.regions) : name => merge(
      { for p in local.include_chain[name] : p => file("${local.config_dir}/${p}") },
      { "regions/${name}.yaml" = file("${local.regions_dir}/${name}.yaml") },
    )
  }
}

# Plan fails here, naming the region, when a config cannot be deployed as written.
resource "terraform_data" "region_check" {
  for_each = local.regions

  input = each.key

  lifecycle {
    precondition {
      condition     = local.region_configs[each.key].node.region == each.key
      error_message = "config/regions/${each.key}.yaml sets node.region ${local.region_configs[each.key].node.region}: the file name and node.region must be equal."
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
      error_message = "Region ${each.key} includes a file outside config/: only files under it are shipped to the nodes."
    }

    precondition {
      condition = alltrue([
        for p in local.include_depth_2[each.key] :
        length(try(yamldecode(file("${local.config_dir}/${p}")).include, [])) == 0
      ])
      error_message = "Region ${each.key}: an included file of an included file includes more; Terraform follows two levels (regions.tf)."
    }
  }
}
