terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State stays local unless you configure a backend, e.g. `terraform init -backend-config=...` with an
  # S3 backend block added here (see README "Deploying to AWS").
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "s3-image-sanitizer"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
