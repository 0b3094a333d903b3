/** Field types shared by the configuration schema's parts (schema.ts, schema-sinks.ts). */
import { z } from 'zod';
import { unknownPlaceholders } from '../core/alert/links.js';

export const positiveInt = z.number().int().positive();

export const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name ([a-zA-Z0-9._-], at most 249)');

export const clusterName = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'a cluster name: letters, digits, -, _ or .');

/** A runbook/dashboard URL template: http(s), placeholders from core/alert/links.ts only. */
export const urlTemplate = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL template')
  .refine((t) => unknownPlaceholders(t).length === 0, {
    message: 'unknown placeholder; use {cluster}, {namespace}, {service}, {metric}, {kind}, {severity} or {id}',
  });

export const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http:// or https:// URL');
