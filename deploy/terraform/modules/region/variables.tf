variable "name" {
  description = "The llm-edge region name (node.region in its config, the file name in config/regions/), e.g. eu-west."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "A region name is lower-case letters, digits and dashes (it names AWS resources and DNS labels)."
  }
}

variable "aws_region" {
  description = "The AWS region the node group runs in, e.g. eu-west-1."
  type        = string
}

variable "config" {
  description = "The sections node, federation and jurisdictions of the region's config as the node reads it (includes merged; ../../regions.tf). The module reads node.admin_tls from it."
  type        = any
}

variable "region_file" {
  description = "The region's config file, relative to /etc/llm-edge (the repository's config/), e.g. regions/eu-west.yaml; a key of config_files."
  type        = string
}

variable "config_files" {
  description = "Every file the region's config needs (itself and what it includes), as {path relative to /etc/llm-edge = content}, written verbatim."
  type        = map(string)

  validation {
    condition     = alltrue([for p in keys(var.config_files) : !startswith(p, "/") && !contains(split("/", p), "..")])
    error_message = "config_files paths are relative to /etc/llm-edge, without \"..\"."
  }
}

variable "client_port" {
  description = "Port of the client listener (node.listen). The network load balancer forwards it, open to the world."
  type        = number
}

variable "admin_port" {
  description = "Port of the admin listener (node.admin_listen). Only the region's own load balancer reaches it, for the /readyz health check."
  type        = number
}

variable "federation_port" {
  description = "Port of the gossip listener (federation.listen), or null without federation. Open only to federation_peer_cidrs."
  type        = number
  default     = null
}

variable "federation_peer_cidrs" {
  description = "Source addresses allowed on the federation port: the elastic IP of every node slot of every region, as {slot = \"203.0.113.7/32\"} (keys known at plan time, addresses at apply)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for c in values(var.federation_peer_cidrs) : !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "federation_peer_cidrs are the peers' node addresses, never the whole Internet."
  }
}

variable "eip_pool_tag" {
  description = "Value of the llm-edge:eip-pool tag on this region's elastic IPs; a booting node claims a free one and advertises it as its gossip address."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the region's VPC. Regions never route to each other privately (gossip uses the elastic IPs), so every region may use the same one."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones the autoscaling group and the load balancer span (at most the region's count)."
  type        = number
  default     = 3
}

variable "instance_type" {
  description = "EC2 instance type of the nodes (x86_64: the release tarball is built for amd64)."
  type        = string
  default     = "c7i.large"
}

variable "min_size" {
  description = "Fewest nodes in the region."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most nodes in the region; the region's elastic IP pool has this many addresses."
  type        = number
  default     = 4
}

variable "data_volume_gb" {
  description = "Size of each node's data volume (/var/lib/llm-edge: the ledger and the audit log). It outlives the node (delete_on_termination = false), tagged llm-edge:node, so a replaced node's records can still be exported."
  type        = number
  default     = 50
}

variable "ami_id" {
  description = "AMI of the nodes; null takes the newest official Debian 12 amd64 image (the release tarball's libraries are Debian 12's)."
  type        = string
  default     = null
}

variable "artifact_url" {
  description = "Where nodes download the release tarball made by scripts/package.sh: s3://bucket/key (read with the instance role) or https://."
  type        = string

  validation {
    condition     = can(regex("^(s3|https)://", var.artifact_url))
    error_message = "artifact_url is an s3:// or https:// URL."
  }
}

variable "artifact_sha256" {
  description = "SHA-256 of the release tarball; a node refuses a download that does not match."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.artifact_sha256))
    error_message = "artifact_sha256 is 64 lower-case hex digits."
  }
}

variable "ssm_prefix" {
  description = "SSM Parameter Store prefix of the secrets: PREFIX/common/env/NAME and PREFIX/<region>/env/NAME become environment variables (os.environ/NAME in the config); PREFIX/common/files/PATH and PREFIX/<region>/files/PATH become files under /etc/llm-edge."
  type        = string
  default     = "/llm-edge"
}

variable "access_log" {
  description = "log.access on the instances (e.g. /var/log/llm-edge/access.log, rotated by deploy/logrotate/llm-edge); null keeps the region config's own setting."
  type        = string
  default     = null
}

variable "drain_seconds" {
  description = "How long the load balancer lets a leaving node's connections finish (deregistration delay)."
  type        = number
  default     = 120
}

variable "tags" {
  description = "Tags for every resource of the region."
  type        = map(string)
  default     = {}
}
