/** ok: every sample succeeded; partial: some failed; failed: none succeeded; unavailable: not measurable here. */
export type DesignStatus = 'ok' | 'partial' | 'failed' | 'unavailable';
