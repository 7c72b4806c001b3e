variable "shipper_role_arn" {
  description = "The shipper role of the logs-account module (its shipper_role_arn output)."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.shipper_role_arn))
    error_message = "shipper_role_arn must be an IAM role ARN."
  }
}

variable "logs_bucket_arn" {
  description = "The logs account's bucket for VPC Flow Logs (the logs-account module's bucket_arn output)."
  type        = string
}

variable "vpc_ids" {
  description = "VPCs whose flow logs go to the logs bucket."
  type        = list(string)
  default     = []
}

variable "flow_log_traffic_type" {
  description = "ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"
}

variable "role_name" {
  description = "Name of the instance role and its instance profile."
  type        = string
  default     = "corral-instance"
}

variable "create_ecs_task_role" {
  description = "Also create a task role for the ECS daemon task (deploy/ecs/daemon-task.json) that may assume the shipper role."
  type        = bool
  default     = false
}

variable "ecs_task_role_name" {
  description = "Name of the ECS task role."
  type        = string
  default     = "corral-task"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
