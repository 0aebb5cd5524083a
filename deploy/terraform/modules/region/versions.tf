# One regional llm-edge node group. Every regional resource sets `region = var.aws_region`
# (the AWS provider's per-resource region, 6.0 and later), so the root calls this module
# with for_each over the regions and one provider configuration: see ../../providers.tf.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0.0, < 7.0.0"
    }
  }
}
