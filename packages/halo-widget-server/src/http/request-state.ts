/** What one request has learnt so far, for the headers of an error answer. Internal. */
export interface RequestState {
  /** The request's id: the client's `X-Request-Id` when sane, else a fresh one; in every decision log line. */
  requestId?: string;
  /** The project refused the request's `Origin`: the answer must not echo it. */
  originRefused?: boolean;
  /** The `Halo-Identity` verdict, once known. */
  identityHeader?: string;
  /** The request's `user_token` when it is a string: redacted from any logged error. */
  token?: string;
  /** The client address the rate limit charges (undefined when it is off). */
  address?: string;
  /** The identity check refused the request as malformed (already judged, so it is not charged twice). */
  refused?: boolean;
}
