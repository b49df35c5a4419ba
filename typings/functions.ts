import type { CardContract } from './card'
import type { CustomerServiceContract } from './customerService'
import type { PayContract } from './pay'
import type { RankContract } from './rank'
import type { ShareContract } from './share'
import type { SoterContract } from './soter'
import type { UserContract } from './user'
import type { WerunContract } from './werun'

/** Every cloud function the pages call, by its deployed name. */
export interface Functions {
  user: UserContract
  pay: PayContract
  customerService: CustomerServiceContract
  werun: WerunContract
  share: ShareContract
  rank: RankContract
  soter: SoterContract
  card: CardContract
}

export type FunctionName = keyof Functions
