variable "workload_account_ids" {
  description = "IDs of the AWS accounts whose hosts and tasks run corral and may assume the shipper role."
  type        = list(string)
  validation {
    condition     = length(var.workload_account_ids) > 0 && alltrue([for id in var.workload_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "workload_account_ids must be a non-empty list of 12-digit account IDs."
  }
}

variable "workload_role_names" {
  description = "Names of the roles in the workload accounts that may assume the shipper role, such as the workload-account module's instance and task roles. Empty: any principal of those accounts that its own IAM policies allow."
  type        = list(string)
  default     = []
}

variable "external_id" {
  description = "The external ID corral passes when it assumes the shipper role (aws.assume_role.external_id)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", var.external_id))
    error_message = "external_id must be 2 to 1224 characters of [A-Za-z0-9+=,.@:/_-]."
  }
}

variable "role_name" {
  description = "Name of the shipper role."
  type        = string
  default     = "corral-shipper"
}

variable "log_group_names" {
  description = "Log groups to create here, with retention_in_days and kms_key_arn; corral may write to them."
  type        = list(string)
  default     = []
}

variable "log_group_prefix" {
  description = "corral may also create and write to log groups whose names start with this, as its name templates such as /corral/{hostname} need. Empty: only log_group_names."
  type        = string
  default     = "/corral/"
}

variable "retention_in_days" {
  description = "Retention of the log groups created here."
  type        = number
  default     = 30
  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_in_days)
    error_message = "retention_in_days must be a value CloudWatch Logs accepts (0 means never expire)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a KMS key to encrypt the log groups created here. Its key policy must let logs.<region>.amazonaws.com use it. Null: CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "bucket_name" {
  description = "Name of the bucket that receives CloudTrail and VPC Flow Logs files from the workload accounts."
  type        = string
}

variable "bucket_expiration_days" {
  description = "Days after which log files are deleted from the bucket; corral has shipped them long before."
  type        = number
  default     = 90
}

variable "queue_name" {
  description = "Name of the SQS queue that announces new objects in the bucket; the dead-letter queue gets a -dlq suffix."
  type        = string
  default     = "corral-s3-objects"
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the dead-letter queue: an object that fails this often needs a person."
  type        = number
  default     = 5
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden; corral extends it while it reads a large object."
  type        = number
  default     = 300
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
