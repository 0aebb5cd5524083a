output "lb_arn" {
  description = "ARN of the region's network load balancer (a Global Accelerator endpoint)."
  value       = aws_lb.this.arn
}

output "lb_dns_name" {
  description = "DNS name of the region's network load balancer."
  value       = aws_lb.this.dns_name
}

output "lb_zone_id" {
  description = "Route 53 zone id of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "health_check_id" {
  description = "Route 53 health check that is healthy while a node of the region answers /readyz."
  value       = aws_route53_health_check.region.id
}

output "vpc_id" {
  description = "The region's VPC (the private gossip zone is associated with it)."
  value       = aws_vpc.this.id
}

output "autoscaling_group_name" {
  description = "Name of the region's autoscaling group."
  value       = aws_autoscaling_group.node.name
}

output "node_security_group_id" {
  description = "Security group of the region's nodes."
  value       = aws_security_group.node.id
}
