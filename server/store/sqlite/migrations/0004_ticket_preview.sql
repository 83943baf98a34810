ALTER TABLE `tickets` ADD `last_public_message` text;--> statement-breakpoint
UPDATE `tickets` SET `last_public_message` = substr((SELECT `body` FROM `messages` WHERE `messages`.`ticket_id` = `tickets`.`id` AND `messages`.`internal` = 0 ORDER BY `messages`.`created_at` DESC LIMIT 1), 1, 300);
