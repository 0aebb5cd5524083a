# Every region's node group, the elastic IPs its nodes gossip from, and the private names the
# configs' federation.peers use to find them.

locals {
  federated = { for name, r in local.regions : name => r if r.federation_port != null }

  # One elastic IP per node slot (max_size per region). A booting node claims a free one of
  # its region's pool and advertises it; every region's federation port admits all of them.
  eip_slots = merge([
    for name, r in local.federated : {
      for i in range(r.max_size) : "${name}/${i}" => { region = name, aws_region = r.aws_region }
    }
  ]...)
}

resource "aws_eip" "node" {
  for_each = local.eip_slots

  region = each.value.aws_region
  domain = "vpc"
  tags = {
    Name                = "llm-edge-${replace(each.key, "/", "-")}"
    "llm-edge:region"   = each.value.region
    "llm-edge:eip-pool" = "llm-edge-${each.value.region}"
  }
}

module "region" {
  source   = "./modules/region"
  for_each = local.regions

  name                  = each.key
  aws_region            = each.value.aws_region
  config                = each.value.config
  region_file           = "regions/${each.key}.yaml"
  config_files          = local.config_files[each.key]
  client_port           = each.value.client_port
  admin_port            = each.value.admin_port
  federation_port       = each.value.federation_port
  federation_peer_cidrs = { for slot, eip in aws_eip.node : slot => "${eip.public_ip}/32" }
  eip_pool_tag          = "llm-edge-${each.key}"
  vpc_cidr              = var.vpc_cidr
  az_count              = var.az_count
  instance_type         = each.value.instance_type
  min_size              = each.value.min_size
  max_size              = each.value.max_size
  data_volume_gb        = var.data_volume_gb
  artifact_url          = var.artifact_url
  artifact_sha256       = var.artifact_sha256
  ssm_prefix            = var.ssm_prefix
  access_log            = var.access_log
  tags                  = var.tags

  depends_on = [terraform_data.region_check]
}

# gossip.<region>.<gossip_zone>: the region's elastic IPs, the seeds its peers dial (a node
# re-resolves seeds every 30 s). Private zone, associated with every region's VPC.
resource "aws_route53_zone" "gossip" {
  count = length(local.federated) > 0 ? 1 : 0

  name    = var.gossip_zone
  comment = "llm-edge gossip seeds, one name per region"

  dynamic "vpc" {
    for_each = local.federated

    content {
      vpc_id     = module.region[vpc.key].vpc_id
      vpc_region = vpc.value.aws_region
    }
  }
}

resource "aws_route53_record" "gossip" {
  for_each = local.federated

  zone_id = aws_route53_zone.gossip[0].zone_id
  name    = "gossip.${each.key}.${var.gossip_zone}"
  type    = "A"
  ttl     = 30
  records = [for slot, eip in aws_eip.node : eip.public_ip if local.eip_slots[slot].region == each.key]
}
