output "regions" {
  description = "Per region: its AWS region, load balancer DNS name, listener ports, autoscaling group and gossip addresses."
  value = {
    for name, r in local.regions : name => {
      aws_region             = r.aws_region
      jurisdiction           = r.jurisdiction
      lb_dns_name            = module.region[name].lb_dns_name
      client_port            = r.client_port
      admin_port             = r.admin_port
      federation_port        = r.federation_port
      autoscaling_group_name = module.region[name].autoscaling_group_name
      gossip_addresses       = [for slot, eip in aws_eip.node : eip.public_ip if local.eip_slots[slot].region == name]
    }
  }
}

output "client_endpoints" {
  description = "The client entry names (null without dns_zone_id and dns_name)."
  value = local.dns_enabled ? {
    geo          = var.dns_name
    latency      = "latency.${var.dns_name}"
    jurisdiction = { for j in keys(local.geo_jurisdictions) : j => "${lower(j)}.${var.dns_name}" }
    region       = { for name in keys(local.regions) : name => "${name}.${var.dns_name}" }
    anycast      = var.global_accelerator ? "anycast.${var.dns_name}" : null
  } : null
}

output "global_accelerator_ips" {
  description = "The accelerator's anycast IPv4 addresses (empty when global_accelerator is false)."
  value       = var.global_accelerator ? flatten([for s in aws_globalaccelerator_accelerator.this[0].ip_sets : s.ip_addresses]) : []
}

output "gossip_zone_id" {
  description = "The private zone of the gossip seed names (null without federation)."
  value       = length(aws_route53_zone.gossip) > 0 ? aws_route53_zone.gossip[0].zone_id : null
}
