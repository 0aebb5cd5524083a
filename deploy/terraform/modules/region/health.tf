# The region's health as Route 53 sees it: healthy while at least one node passes the load
# balancer's /readyz check. Route 53's own checkers cannot ask /readyz (the admin listener is
# closed to the Internet), so the DNS health check follows this CloudWatch alarm instead.

resource "aws_cloudwatch_metric_alarm" "no_ready_node" {
  region              = var.aws_region
  alarm_name          = "llm-edge-${var.name}-no-ready-node"
  alarm_description   = "No llm-edge node in ${var.name} answers GET /readyz: Route 53 sends clients to other regions."
  namespace           = "AWS/NetworkELB"
  metric_name         = "HealthyHostCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  tags                = local.tags

  dimensions = {
    LoadBalancer = aws_lb.this.arn_suffix
    TargetGroup  = aws_lb_target_group.client.arn_suffix
  }
}

# Route 53 is global: no region argument.
resource "aws_route53_health_check" "region" {
  type                            = "CLOUDWATCH_METRIC"
  cloudwatch_alarm_name           = aws_cloudwatch_metric_alarm.no_ready_node.alarm_name
  cloudwatch_alarm_region         = var.aws_region
  insufficient_data_health_status = "LastKnownStatus"
  tags                            = merge(local.tags, { Name = "llm-edge-${var.name}" })
}
