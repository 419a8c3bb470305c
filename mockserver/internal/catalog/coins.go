package catalog

import (
	"math/big"

	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/wallet"
)

// Coin is a coin the mock accepts, with the networks it can be paid on. Network names are the
// strings the API uses and that orders must echo verbatim (api-facts A4.1).
type Coin struct {
	Symbol    string
	Decimals  int      // decimals of quoted amounts ("101.48" USDC, "0.00032833" BTC)
	USDRate   *big.Rat // US dollars per coin
	Suspended bool
	Networks  []*Network // the first is the default for quotes and for orders without a network
}

// Network is one way to pay a coin.
type Network struct {
	Name      string // "Solana", "ETH Mainnet", "Polygon (Matic)", "Lightning", ...
	Code      string // suffix of payment_method ("USDC-MATIC"); empty when the coin is native
	Protocol  string // payment_method_protocol ("LIGHTNING_LIKE", ...)
	BaseToken string
	Engine    string // smart_contract_engine
	ChainID   int64
	Format    wallet.Format
	Contract  string // token contract, for tokens
	MinUSD    *big.Rat
	Suspended bool
	Threshold *big.Rat // minimum coin amount on this network, from MinUSD and the coin's rate
	coin      string   // the coin it pays
	method    string   // the coin's payment_method on it, made once
}

// PaymentMethod is the product/order payment_method string ("USDC-SOL", "BTC", "BTC-LIGHTNING").
func (c *Coin) PaymentMethod(n *Network) string {
	if n.coin == c.Symbol && n.method != "" {
		return n.method
	}
	if n.Code == "" {
		return c.Symbol
	}
	return c.Symbol + "-" + n.Code
}

// Network finds a network of the coin by its exact name.
func (c *Coin) Network(name string) *Network {
	for _, n := range c.Networks {
		if n.Name == name {
			return n
		}
	}
	return nil
}

type networkSpec struct {
	name, code, protocol, base, engine string
	chainID                            int64
	format                             wallet.Format
	contract                           string
	minUSD                             string
}

type coinSpec struct {
	symbol   string
	decimals int
	rate     string
	networks []networkSpec
}

var (
	solana    = networkSpec{"Solana", "SOL", "SOLANA_LIKE", "SOL", "SVM", 0, wallet.Solana, "", "1"}
	ethereum  = networkSpec{"ETH Mainnet", "ETH", "ETHEREUM_LIKE", "ETH", "EVM", 1, wallet.EVM, "", "10"}
	base      = networkSpec{"Base", "BASE", "ETHEREUM_LIKE", "ETH", "EVM", 8453, wallet.EVM, "", "1"}
	arbitrum  = networkSpec{"Arbitrum", "ARB", "ETHEREUM_LIKE", "ETH", "EVM", 42161, wallet.EVM, "", "1"}
	polygon   = networkSpec{"Polygon (Matic)", "MATIC", "ETHEREUM_LIKE", "MATIC", "EVM", 137, wallet.EVM, "", "1"}
	tron      = networkSpec{"Tron", "TRON", "TRON_LIKE", "TRX", "TVM", 0, wallet.Tron, "", "5"}
	btcMain   = networkSpec{"Mainnet", "", "BITCOIN_LIKE", "BTC", "", 0, wallet.Bitcoin, "", "10"}
	lightning = networkSpec{"Lightning", "LIGHTNING", "LIGHTNING_LIKE", "BTC", "", 0, wallet.Lightning, "", "1"}
	ltcMain   = networkSpec{"Mainnet", "", "BITCOIN_LIKE", "LTC", "", 0, wallet.Litecoin, "", "1"}
	dogeMain  = networkSpec{"Mainnet", "", "BITCOIN_LIKE", "DOGE", "", 0, wallet.Dogecoin, "", "1"}
	// Networks of the coins the vendor lists without saying where they are paid (api-facts
	// A4.1): the mock's choices, on each coin's home chain.
	ton       = networkSpec{"TON", "", "TON_LIKE", "TON", "TVM", 0, wallet.TON, "", "1"}
	sui       = networkSpec{"Sui", "", "SUI_LIKE", "SUI", "MoveVM", 0, wallet.Sui, "", "1"}
	avalanche = networkSpec{"Avalanche C-Chain", "AVAX", "ETHEREUM_LIKE", "AVAX", "EVM", 43114, wallet.EVM, "", "1"}
)

func token(n networkSpec, contract string) networkSpec {
	n.contract = contract
	return n
}

func native(n networkSpec) networkSpec {
	n.code = ""
	return n
}

// defaultCoins follows the documents (USDC and USDT on Solana, Ethereum, Base, Arbitrum,
// Polygon; USDC on Solana recommended, so first) and the reference's coin -> network table.
// Rates are rough US dollar prices; config overrides them.
var defaultCoins = []coinSpec{
	{"USDC", 2, "1", []networkSpec{
		token(solana, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
		token(ethereum, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"),
		token(base, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
		token(arbitrum, "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"),
		token(polygon, "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"),
	}},
	{"USDT", 2, "1", []networkSpec{
		token(solana, "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
		token(ethereum, "0xdAC17F958D2ee523a2206206994597C13D831ec7"),
		token(polygon, "0xc2132D05D31c914a87C6611C10748AEb04B58e8F"),
		token(tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
	}},
	{"BTC", 8, "76000", []networkSpec{btcMain, lightning}},
	{"ETH", 8, "3500", []networkSpec{native(ethereum)}},
	{"SOL", 6, "107", []networkSpec{native(solana)}},
	{"LTC", 8, "85", []networkSpec{ltcMain}},
	{"TRX", 4, "0.25", []networkSpec{native(tron)}},
	{"DOGE", 4, "0.2", []networkSpec{dogeMain}},
	// The rest of the 18 coins the vendor reports active (api-facts A4.1, [DOC] S4). Their
	// networks are the mock's choice (no source names them); tokens carry no contract, since
	// the mock invents none.
	{"TON", 4, "3", []networkSpec{ton}},
	{"SUI", 4, "1.5", []networkSpec{sui}},
	{"USDE", 2, "1", []networkSpec{ethereum}},
	{"FDUSD", 2, "1", []networkSpec{ethereum}},
	{"USDT.e", 2, "1", []networkSpec{avalanche}},
	{"USDC.e", 2, "1", []networkSpec{avalanche}},
	{"DAI", 2, "1", []networkSpec{ethereum}},
	{"EUROC", 2, "1.08", []networkSpec{ethereum}},
	{"WLD", 4, "1.2", []networkSpec{ethereum}},
	{"PYUSD", 2, "1", []networkSpec{ethereum, solana}},
}

// DefaultSuspensions are the suspensions of the default configuration, so that
// SUSPENDED_COIN and SUSPENDED_NETWORK are reachable through the public API: DOGE is
// suspended, and so is TRX on Tron.
var DefaultSuspensions = Suspensions{Coins: []string{"DOGE"}, Networks: []CoinNetwork{{Coin: "TRX", Network: "Tron"}}}

// Suspensions names suspended coins and coin/network pairs.
type Suspensions struct {
	Coins    []string
	Networks []CoinNetwork
}

// CoinNetwork names a network of a coin.
type CoinNetwork struct {
	Coin    string `yaml:"coin" json:"coin"`
	Network string `yaml:"network" json:"network"`
}

func buildCoins(rates map[string]string, susp Suspensions) ([]*Coin, error) {
	suspendedCoin := map[string]bool{}
	for _, c := range susp.Coins {
		suspendedCoin[c] = true
	}
	suspendedNet := map[CoinNetwork]bool{}
	for _, cn := range susp.Networks {
		suspendedNet[cn] = true
	}
	var coins []*Coin
	for _, spec := range defaultCoins {
		rateText := spec.rate
		if r, ok := rates[spec.symbol]; ok {
			rateText = r
		}
		rate, err := money.Parse(rateText)
		if err != nil || rate.Sign() == 0 {
			return nil, errorf("rate of %s: %q is not a positive decimal", spec.symbol, rateText)
		}
		c := &Coin{Symbol: spec.symbol, Decimals: spec.decimals, USDRate: rate, Suspended: suspendedCoin[spec.symbol]}
		for _, ns := range spec.networks {
			minUSD := money.MustParse(ns.minUSD)
			c.Networks = append(c.Networks, &Network{
				Name: ns.name, Code: ns.code, Protocol: ns.protocol, BaseToken: ns.base, Engine: ns.engine,
				ChainID: ns.chainID, Format: ns.format, Contract: ns.contract, MinUSD: minUSD,
				Suspended: suspendedNet[CoinNetwork{spec.symbol, ns.name}],
				Threshold: money.Round(money.Quo(minUSD, rate), spec.decimals), coin: spec.symbol,
			})
			n := c.Networks[len(c.Networks)-1]
			n.method = c.PaymentMethod(n)
		}
		coins = append(coins, c)
	}
	for rateCoin := range rates {
		if !hasCoin(coins, rateCoin) {
			return nil, errorf("rate given for unknown coin %q", rateCoin)
		}
	}
	for c := range suspendedCoin {
		if !hasCoin(coins, c) {
			return nil, errorf("suspension of unknown coin %q", c)
		}
	}
	for cn := range suspendedNet {
		coin := findCoin(coins, cn.Coin)
		if coin == nil || coin.Network(cn.Network) == nil {
			return nil, errorf("suspension of unknown network %q of coin %q", cn.Network, cn.Coin)
		}
	}
	return coins, nil
}

func hasCoin(coins []*Coin, symbol string) bool { return findCoin(coins, symbol) != nil }

func findCoin(coins []*Coin, symbol string) *Coin {
	for _, c := range coins {
		if c.Symbol == symbol {
			return c
		}
	}
	return nil
}
