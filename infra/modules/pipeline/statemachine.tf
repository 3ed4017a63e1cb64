resource "aws_cloudwatch_log_group" "state_machine" {
  # The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small when many machines log.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.pipeline.arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "sanitizer" {
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn
  type     = var.state_machine_type

  # The definition lives in one place, statemachine/sanitizer.asl.json; the local engine runs the same file.
  definition = templatefile(var.state_machine_template_path, {
    validate_function_arn       = aws_lambda_function.step["validate"].arn
    strip_function_arn          = aws_lambda_function.step["strip"].arn
    write_function_arn          = aws_lambda_function.step["write"].arn
    verify_function_arn         = aws_lambda_function.step["verify"].arn
    record_failure_function_arn = aws_lambda_function.step["record-failure"].arn
    unpublish_function_arn      = aws_lambda_function.step["unpublish"].arn
    failure_topic_arn           = var.failure_topic_arn
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = var.log_execution_data
    level                  = var.state_machine_log_level
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name                 = "${local.state_machine_name}-states"
  description          = "Role of the ${local.state_machine_name} state machine: invoke the six steps, publish failures"
  assume_role_policy   = data.aws_iam_policy_document.states_assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "InvokePipelineSteps"
    actions = ["lambda:InvokeFunction"]
    resources = flatten([
      for fn in aws_lambda_function.step : fn.arn
    ])
  }

  statement {
    sid       = "PublishFailures"
    actions   = ["sns:Publish"]
    resources = [var.failure_topic_arn]
  }

  statement {
    sid       = "UseTopicKeyThroughSNS"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.failure_topic_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }

  # Step Functions delivers logs through CloudWatch Logs' log-delivery API, which takes only Resource "*"
  # (AWS documents exactly this statement for state machines that log to CloudWatch Logs).
  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid = "SendTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "sanitizer-state-machine"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}
