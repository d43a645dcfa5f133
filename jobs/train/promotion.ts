/** The promotion rule: pure, so the registry code only carries out what this decides. */
import { toIsoSeconds } from '../core/time.js'

export interface PromotionDecision {
  promote: boolean
  reason: string
}

/** Data cutoffs (epoch ms) of the candidate and of the approved model; undefined: not known. */
export interface PromotionCutoffs {
  candidateMs: number
  approvedMs?: number
}

/**
 * Never promote a model trained on data older than the approved one's (a backfill); otherwise
 * promote when nothing is approved, or when the candidate's backtest MASE beats the approved
 * model's MASE on the same origins by the relative `margin`.
 */
export function decidePromotion(candidateMase: number, approvedMase: number | undefined, margin: number, cutoffs?: PromotionCutoffs): PromotionDecision {
  if (cutoffs?.approvedMs !== undefined && cutoffs.candidateMs < cutoffs.approvedMs) {
    return { promote: false, reason: `trained on data to ${toIsoSeconds(cutoffs.candidateMs)}, older than the approved model's ${toIsoSeconds(cutoffs.approvedMs)}` }
  }
  if (approvedMase === undefined) return { promote: true, reason: 'first version of this metric' }
  if (!Number.isFinite(approvedMase)) return { promote: true, reason: 'the approved model could not be scored on the current data' }
  if (!Number.isFinite(candidateMase)) return { promote: false, reason: 'the candidate has no backtest score' }
  const threshold = approvedMase * (1 - margin)
  return candidateMase < threshold
    ? { promote: true, reason: `backtest MASE ${candidateMase.toFixed(4)} < ${threshold.toFixed(4)} (approved ${approvedMase.toFixed(4)} less ${margin * 100}%)` }
    : { promote: false, reason: `backtest MASE ${candidateMase.toFixed(4)} does not beat ${threshold.toFixed(4)} (approved ${approvedMase.toFixed(4)} less ${margin * 100}%)` }
}
