# Inputs of the whole rollout; docs/deployment.md has them as a table. The regions themselves
# are not an input: they are the files in config/regions/ (regions.tf).

variable "artifact_url" {
  description = "Release tarball made by scripts/package.sh, as s3://bucket/key (read with the nodes' instance role) or an https:// URL."
  type        = string
}

variable "artifact_sha256" {
  description = "SHA-256 of the release tarball (scripts/package.sh prints it); nodes refuse any other file."
  type        = string
}

variable "aws_regions" {
  description = "The AWS region of each llm-edge region whose AWS region is not NAME-1 (eu-west runs in eu-west-1 unless set here), e.g. { us-west = \"us-west-2\" }."
  type        = map(string)
  default     = {}
}

variable "home_region" {
  description = "Region of the default AWS provider configuration; resources set their own region."
  type        = string
  default     = "us-east-1"
}

variable "instance_type" {
  description = "EC2 instance type of the nodes (x86_64)."
  type        = string
  default     = "c7i.large"
}

variable "min_size" {
  description = "Fewest nodes per region."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most nodes per region (also the size of each region's elastic IP pool)."
  type        = number
  default     = 4
}

variable "region_sizes" {
  description = "Per-region overrides of instance_type, min_size and max_size, e.g. { us-east = { max_size = 8 } }."
  type = map(object({
    instance_type = optional(string)
    min_size      = optional(number)
    max_size      = optional(number)
  }))
  default = {}
}

variable "data_volume_gb" {
  description = "Size of each node's data volume (the ledger and the audit log), kept when the node goes."
  type        = number
  default     = 50
}

variable "vpc_cidr" {
  description = "CIDR of each region's VPC (regions do not peer: gossip travels between elastic IPs)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones per region."
  type        = number
  default     = 3
}

variable "ssm_prefix" {
  description = "SSM Parameter Store prefix of the secrets (PREFIX/common/... and PREFIX/<region>/...; docs/deployment.md)."
  type        = string
  default     = "/llm-edge"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.ssm_prefix))
    error_message = "ssm_prefix is an absolute SSM path without a trailing slash, like /llm-edge."
  }
}

variable "access_log" {
  description = "log.access on every node, e.g. /var/log/llm-edge/access.log (rotated by deploy/logrotate/llm-edge); null keeps each region config's own setting."
  type        = string
  default     = null
}

variable "gossip_zone" {
  description = "Private Route 53 zone of the gossip seed names: gossip.<region>.<zone> lists the region's elastic IPs. The configs' federation.peers name them (gossip.eu-west.llm-edge.internal:7946)."
  type        = string
  default     = "llm-edge.internal"
}

variable "dns_zone_id" {
  description = "Public Route 53 hosted zone for the client entry names; null creates no public records."
  type        = string
  default     = null
}

variable "dns_name" {
  description = "Client entry name inside dns_zone_id, e.g. llm.example.com: geolocation there, latency.<name> across all regions, <jurisdiction>.<name> (eu.llm.example.com) across a pinned jurisdiction's regions, <region>.<name> for one region."
  type        = string
  default     = null
}

variable "jurisdiction_failover" {
  description = "When every region of a pinned jurisdiction is down, let its callers' DNS answers fall back to the other regions (the nodes still send pinned traffic only to that jurisdiction's deployments). false keeps them on the jurisdiction's regions."
  type        = bool
  default     = false
}

variable "global_accelerator" {
  description = "Put an AWS Global Accelerator (two anycast IPv4 addresses) in front of every region's load balancer, named anycast.<dns_name> when DNS is on."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { "app" = "llm-edge" }
}
