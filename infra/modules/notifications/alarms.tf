locals {
  # Step Functions execution metrics (namespace AWS/States, dimension StateMachineArn) that mean an upload was
  # not sanitized, or not yet.
  execution_alarms = {
    failed = {
      metric      = "ExecutionsFailed"
      threshold   = var.alarm_failed_threshold
      description = "Sanitizer executions failed: uploads rejected or not published. See the failure notifications and `sanitizer audit`."
    }
    timed-out = {
      metric      = "ExecutionsTimedOut"
      threshold   = 1
      description = "Sanitizer executions timed out. Replay them with `sanitizer replay`."
    }
    throttled = {
      metric      = "ExecutionThrottled"
      threshold   = 1
      description = "Step Functions throttled the sanitizer: uploads wait in EventBridge retries or reach the dead-letter queue."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "execution" {
  for_each = local.execution_alarms

  alarm_name          = "${var.name_prefix}-executions-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = var.state_machine_arn }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.failures.arn]
  ok_actions          = [aws_sns_topic.failures.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name_prefix}-dead-letters"
  alarm_description   = "Events EventBridge could not deliver to the state machine are waiting in the dead-letter queue: their uploads were never processed. Reprocess them with `sanitizer reprocess`."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.dead_letter_queue_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.failures.arn]
  ok_actions          = [aws_sns_topic.failures.arn]
  tags                = var.tags
}
